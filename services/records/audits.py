"""Audits of the handling (ISO 10002 8.5): a random sample of the complaints closed in a period, each scored
against the organization's checklist (yes, no, not applicable), the conformity rate, and findings that open
corrective actions. The sample, the scores and the findings are kept."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.complaints.filters import InboxFilter
from services.complaints.log import record
from services.complaints.models import Complaint, CorrectiveAction
from services.records.forms import record_settings
from services.records.models import AuditItem, AuditSample
from services.reports.counting import where
from tenants.db import db, utcnow
from tenants.errors import NotFound, Refused
from tenants.models import StaffMember
from tenants.roles import Permission, require
from tenants.text import normalize_input

# The checklist an organization starts from: what an auditor of the handling asks of each closed complaint.
DEFAULT_CHECKLIST = (
    ("acknowledged", _l("Was the receipt acknowledged to the customer on time?")),
    ("root_cause", _l("Was the root cause recorded?")),
    ("reasoned", _l("Was the decision reasoned in writing?")),
    ("told", _l("Was the customer told of the decision and the remedy?")),
    ("verified", _l("Were the corrective actions verified for effectiveness?")),
    ("on_time", _l("Was it resolved within its deadline?")),
)
ANSWERS = ("yes", "no", "na")
MOST_QUESTIONS = 30
LARGEST_SAMPLE = 200
_LONGEST = 4000


def checklist_texts() -> list[str]:
    """The checklist's questions as the organization keeps them (the default ones in the reader's language)."""
    kept = record_settings().audit_checklist
    return list(kept) if kept else [str(text) for _key, text in DEFAULT_CHECKLIST]


def save_checklist(actor: StaffMember, typed: str) -> list[str] | None:
    """The checklist from one question per line; empty: back to the default. Refused when too many or too long."""
    require(actor, Permission.MANAGE_SETTINGS)
    lines = [line.strip() for line in (normalize_input(typed or "") or "").splitlines() if line.strip()]
    if len(lines) > MOST_QUESTIONS:
        raise Refused(_l("A checklist can have at most %(n)s questions.", n=MOST_QUESTIONS), field="audit_checklist")
    if any(len(line) > 300 for line in lines):
        raise Refused(_l("A question can be at most %(n)s characters long.", n=300), field="audit_checklist")
    if lines == [str(text) for _key, text in DEFAULT_CHECKLIST]:
        lines = []  # the default as the reader sees it: kept as the default, in every reader's language
    settings = record_settings()
    settings.audit_checklist = lines or None
    db.session.add(settings)
    db.session.flush()
    return settings.audit_checklist


def closed_in(actor: StaffMember, first: date, last: date, tz: ZoneInfo, now: datetime) -> sa.Select[Any]:
    """The ids of the complaints closed on the local days `first` to `last`, as the inbox lists them."""
    f = InboxFilter(tab="closed", closed_from=first, closed_to=last)
    return sa.select(Complaint.id).where(*where(actor, f, tz, now))


def draw_sample(actor: StaffMember, first: date, last: date, size: int, tz: ZoneInfo) -> AuditSample:
    """A sample of `size` complaints closed in the period, drawn at random (all of them when there are fewer),
    with the checklist as it is now."""
    require(actor, Permission.AUDIT_COMPLAINTS)
    if not 1 <= size <= LARGEST_SAMPLE:
        raise Refused(_l("Ask for 1 to %(n)s complaints.", n=LARGEST_SAMPLE), field="size")
    ids = list(db.session.scalars(closed_in(actor, first, last, tz, utcnow())))
    if not ids:
        raise Refused(_l("No complaint was closed in this period: there is nothing to sample."), field="period")
    chosen = secrets.SystemRandom().sample(ids, min(size, len(ids)))
    sample = AuditSample(
        period_first=first,
        period_last=last,
        size_asked=size,
        checklist=[{"key": f"q{n + 1}", "text": text} for n, text in enumerate(checklist_texts())],
        drawn_by_id=actor.id,
    )
    db.session.add(sample)
    db.session.flush()
    for complaint_id in sorted(chosen):
        db.session.add(AuditItem(sample_id=sample.id, complaint_id=complaint_id, answers={}))
    db.session.flush()
    return sample


def _item(sample_id: int, item_id: int) -> AuditItem:
    item = db.session.get(AuditItem, item_id)
    if item is None or item.sample_id != sample_id:
        raise NotFound(_l("There is no such audit sample."))
    return item


def score(actor: StaffMember, sample_id: int, item_id: int, answers: dict[str, str], note: str) -> AuditItem:
    """One complaint's answers to the sample's checklist; a question left unanswered stays open."""
    require(actor, Permission.AUDIT_COMPLAINTS)
    sample = get_sample(sample_id)
    item = _item(sample.id, item_id)
    keys = {q["key"] for q in sample.checklist}
    cleaned = {}
    for key, answer in answers.items():
        if key not in keys or answer not in (*ANSWERS, ""):
            raise Refused(_l("Answer each question with yes, no or not applicable."), field=key)
        if answer:
            cleaned[key] = answer
    text = (normalize_input(note or "") or "").strip()
    if len(text) > _LONGEST:
        raise Refused(_l("This is too long: at most %(n)s characters.", n=_LONGEST), field="note")
    item.answers = cleaned
    item.note = text or None
    item.scored_by_id = actor.id
    item.scored_at = utcnow()
    db.session.flush()
    return item


def open_finding(actor: StaffMember, sample_id: int, item_id: int, finding: str) -> CorrectiveAction:
    """A finding on one sampled complaint, opened as a corrective action on it (planned, to be given an owner and
    a due date by those who handle it) and written to its log."""
    require(actor, Permission.AUDIT_COMPLAINTS)
    item = _item(get_sample(sample_id).id, item_id)
    text = (normalize_input(finding or "") or "").strip()
    if not text:
        raise Refused(_l("Describe the finding."), field="finding")
    if len(text) > _LONGEST:
        raise Refused(_l("This is too long: at most %(n)s characters.", n=_LONGEST), field="finding")
    if item.action_id is not None:
        raise Refused(_l("This complaint's finding already opened a corrective action."), field="finding")
    complaint = db.session.get(Complaint, item.complaint_id)
    action = CorrectiveAction(
        complaint_id=complaint.id, description=text, created_by_id=actor.id, updated_by_id=actor.id
    )
    db.session.add(action)
    db.session.flush()
    item.finding = text
    item.action_id = action.id
    record(complaint, "audit_finding", actor, body=text, data={"sample": sample_id}, action_id=action.id)
    return action


def get_sample(sample_id: int) -> AuditSample:
    sample = db.session.get(AuditSample, sample_id)
    if sample is None:
        raise NotFound(_l("There is no such audit sample."))
    return sample


@dataclass(frozen=True)
class Conformity:
    yes: int
    no: int
    not_applicable: int
    scored: int  # complaints with at least one answer
    size: int

    @property
    def rate(self) -> float | None:
        """Conforming answers ÷ the answers that apply."""
        return self.yes / (self.yes + self.no) if self.yes + self.no else None


def conformity(items: list[AuditItem]) -> Conformity:
    answers = [answer for item in items for answer in (item.answers or {}).values()]
    return Conformity(
        answers.count("yes"),
        answers.count("no"),
        answers.count("na"),
        sum(1 for item in items if item.answers),
        len(items),
    )


def sample_items(sample_id: int) -> list[tuple[AuditItem, Complaint]]:
    rows = db.session.execute(
        sa.select(AuditItem, Complaint)
        .join(Complaint, Complaint.id == AuditItem.complaint_id)
        .where(AuditItem.sample_id == sample_id)
        .order_by(Complaint.closed_at, Complaint.id)
    ).all()
    return [(item, complaint) for item, complaint in rows]


def samples() -> list[tuple[AuditSample, Conformity]]:
    """The organization's samples, latest first, each with its conformity so far."""
    found = list(
        db.session.scalars(sa.select(AuditSample).order_by(AuditSample.drawn_at.desc(), AuditSample.id.desc()))
    )
    items: dict[int, list[AuditItem]] = {s.id: [] for s in found}
    if found:
        for item in db.session.scalars(sa.select(AuditItem).where(AuditItem.sample_id.in_(list(items)))):
            items[item.sample_id].append(item)
    return [(s, conformity(items[s.id])) for s in found]
