"""Search text: names, contacts, code and text in one normalized column, matched by substring."""

from __future__ import annotations

import re

import sqlalchemy as sa

from services.complaints.models import Complaint
from tenants.text import normalize_input

# Zero-width joiners and direction marks: typed or not, the same word.
_INVISIBLE = dict.fromkeys(map(ord, "\u200c\u200d\u200e\u200f\u061c\ufeff"), " ")
_SPACES = re.compile(r"\s+")
_ARABIC_FORMS = str.maketrans({"ة": "ه", "أ": "ا", "إ": "ا", "ٱ": "ا", "ؤ": "و", "ۀ": "ه", "ـ": None})
_DIACRITICS = re.compile("[\u064b-\u065f\u0670]")
_CODE_SEPARATORS = re.compile(r"[\s\-‐‑‒–—−_.]+")


def search_key(text: str | None) -> str:
    """Text as stored and searched: Latin digits, Persian letters, no diacritics or joiners, lower case."""
    value = normalize_input(text or "", multiline=True) or ""
    value = _DIACRITICS.sub("", value.translate(_INVISIBLE).translate(_ARABIC_FORMS))
    return _SPACES.sub(" ", value).strip().casefold()


def build_search_text(c: Complaint) -> str:
    """Everything the inbox's search box finds a complaint by."""
    phone_local = ""
    if c.phone and c.phone.startswith("+98"):
        phone_local = "0" + c.phone[3:]
    elif c.phone and c.phone.startswith("+7"):
        phone_local = "8" + c.phone[2:]
    parts = (
        c.code,
        c.complainant_name,
        c.representative_name,
        c.phone,
        phone_local,
        c.email,
        c.national_id,
        c.subject,
        c.description,
        c.remedy_sought,
    )
    return search_key(" ".join(p for p in parts if p))


def search_condition(query: str) -> sa.ColumnElement[bool] | None:
    """Every word of `query` must appear in the complaint's search text; a code matches with any separators."""
    key = search_key(query)
    if not key:
        return None
    digits = _CODE_SEPARATORS.sub("", key)
    # A code or a phone number typed with spaces or dashes is one word.
    words = [digits] if digits.isdigit() and len(digits) >= 7 else key.split(" ")
    conditions = []
    for word in words[:8]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Complaint.search_text.like(f"%{escaped}%", escape="\\"))
    return sa.and_(*conditions)
