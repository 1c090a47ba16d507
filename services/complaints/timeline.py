"""The follow-up log described for its readers: for each entry who, when and what, with every value in words, in
the reader's language. The staff's page draws `describe`'s entries, the customer's `describe_for_customer`'s."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any, Protocol

from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l

from services.catalog.models import Category, RootCause, Unit
from services.complaints.models import ComplaintEvent
from services.complaints.words import (
    ACTION_STATUS_NAMES,
    CHANNEL_NAMES,
    CONTACT_NAMES,
    ERASURE_REASONS,
    EVENT_NAMES,
    FIELD_NAMES,
    FILE_REFUSALS,
    FORM_NAMES,
    KIND_NAMES,
    PRINT_FORMAT_NAMES,
    PRIORITY_NAMES,
    STAND_IN_WORDS,
    STATE_NAMES,
    Text,
    named,
    score_words,
)
from services.contacts import national_id_name
from services.i18n import LANGUAGE_NAMES, format_moment, localized
from services.labels import EVENT_WORDS, TRANSITION_WORDS
from tenants.models import StaffMember
from tenants.text import Localized, ungrouped

NO_VALUE = "—"
# The entries that list the fields they changed, each as {"field": [before, after]}.
CHANGE_KINDS = frozenset({"assigned", "edited", "escalated", "action_updated", "action_edited"})
# A field whose value is one of a closed list, named by that list.
_LISTED = {
    "status": ACTION_STATUS_NAMES,
    "state": STATE_NAMES,
    "priority": PRIORITY_NAMES,
    "kind": KIND_NAMES,
    "channel": CHANNEL_NAMES,
    "preferred_contact": CONTACT_NAMES,
}


@dataclass(frozen=True)
class Names:
    """What the ids in the log name: the tenant's staff, units, categories and root causes; and its country, for
    what it calls a national ID."""

    staff: Mapping[int, StaffMember]
    units: Mapping[int, Unit]
    categories: Mapping[int, Category]
    root_causes: Mapping[int, RootCause]
    country: str = ""

    def person(self, member_id: object) -> str:
        member = self.staff.get(member_id) if isinstance(member_id, int) else None
        return member.name if member is not None else NO_VALUE


@dataclass(frozen=True)
class Value:
    """One value in words; `typed` when it is someone's own text (a subject, a rule's name), drawn in its own
    direction."""

    words: object
    typed: bool = False

    def __str__(self) -> str:
        return str(self.words)


@dataclass(frozen=True)
class Change:
    """A field an entry changed: its name, and its values before and after."""

    field: Text
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Entry:
    """One entry of the log as the staff's page shows it. Each kind of entry fills the fields of its own shape."""

    kind: str
    at: datetime
    # A staff member's name (`by_staff`, drawn apart in its own direction), or "The customer" or "The system".
    who: object
    by_staff: bool
    customer_visible: bool
    # What happened, and after it what it was about: the states before and after, an escalation rule's name.
    what: Text
    about: tuple[Value, ...] = ()
    # The line that says how: the channel it came by, the decision, whose decision was approved, the rating.
    sentence: Text | None = None
    score: int | None = None
    # The fields that changed, for the entries that list them.
    changes: tuple[Change, ...] | None = None
    # Who was told instead of someone missing: (who was missing, what the page says).
    stand_ins: tuple[tuple[str, Text], ...] = ()
    # A planned corrective action, in its planner's words.
    description: str | None = None
    # A file: kept (to download), or not kept and why.
    filename: str | None = None
    attachment_id: int | None = None
    refusal: Text | None = None
    body: str | None = None


def describe(events: Iterable[ComplaintEvent], names: Names) -> list[Entry]:
    """The staff's page's log: each entry with who, when, what and its values in words."""
    return [_entry(e, names) for e in events]


def _entry(e: ComplaintEvent, names: Names) -> Entry:
    member = names.staff.get(e.actor_id) if e.actor_id is not None else None
    if member is not None:
        who: object = member.name
    else:
        who = Text(_l("The customer") if e.actor_kind == "customer" else _l("The system"))
    shape = _changes if e.kind in CHANGE_KINDS else _SHAPES.get(e.kind, _nothing)
    return Entry(
        kind=e.kind,
        at=e.at,
        who=who,
        by_staff=member is not None,
        customer_visible=e.customer_visible,
        what=named(EVENT_NAMES, e.kind),
        body=e.body,
        **shape(e, e.data or {}, names),
    )


# Each kind's own fields, from its data.
Shape = Callable[[ComplaintEvent, dict[str, Any], Names], dict[str, Any]]


def _nothing(_e: ComplaintEvent, _data: dict[str, Any], _names: Names) -> dict[str, Any]:
    return {}


def _registered(_e: ComplaintEvent, data: dict[str, Any], _names: Names) -> dict[str, Any]:
    return {"sentence": named(CHANNEL_NAMES, data.get("channel"))}


def _transition(_e: ComplaintEvent, data: dict[str, Any], _names: Names) -> dict[str, Any]:
    before, after = [*(data.get("state") or ()), None, None][:2]
    return {"about": (Value(named(STATE_NAMES, before)), Value(named(STATE_NAMES, after)))}


def _decision(_e: ComplaintEvent, data: dict[str, Any], names: Names) -> dict[str, Any]:
    after = data.get("after") or {}
    said = _l("Justified") if after.get("justified") else _l("Not justified")
    if not after.get("approved_by"):
        return {"sentence": Text(said)}
    return {"sentence": Text(said, " · ", _l("Approved by %(name)s", name=names.person(after["approved_by"])))}


def _decision_approved(e: ComplaintEvent, data: dict[str, Any], names: Names) -> dict[str, Any]:
    if not data.get("decided_by"):
        return {"sentence": Text(_l("Approved by %(name)s", name=names.person(e.actor_id)))}
    maker, approver = names.person(data["decided_by"]), names.person(data.get("approved_by") or e.actor_id)
    return {"sentence": Text(_l("Decision by %(maker)s, approved by %(approver)s", maker=maker, approver=approver))}


def _rated(_e: ComplaintEvent, data: dict[str, Any], _names: Names) -> dict[str, Any]:
    return {"sentence": score_words(data.get("score")), "score": data.get("score")}


def _escalation(_e: ComplaintEvent, data: dict[str, Any], _names: Names) -> dict[str, Any]:
    told = (data.get("stand_ins") or {}).items()
    return {
        "about": (Value(str(data.get("name") or ""), typed=True),),
        "stand_ins": tuple((missing, named(STAND_IN_WORDS, f"{missing}:{instead}")) for missing, instead in told),
    }


def _action_added(_e: ComplaintEvent, data: dict[str, Any], _names: Names) -> dict[str, Any]:
    return {"description": data.get("description") or ""}


def _file(e: ComplaintEvent, data: dict[str, Any], _names: Names) -> dict[str, Any]:
    return {"filename": data.get("filename") or "", "attachment_id": e.attachment_id} if e.attachment_id else {}


def _file_refused(_e: ComplaintEvent, data: dict[str, Any], _names: Names) -> dict[str, Any]:
    return {"filename": data.get("filename") or "", "refusal": named(FILE_REFUSALS, data.get("reason"))}


def _form_printed(_e: ComplaintEvent, data: dict[str, Any], _names: Names) -> dict[str, Any]:
    return {
        "sentence": Text(
            named(FORM_NAMES, data.get("form")),
            " · ",
            named(PRINT_FORMAT_NAMES, data.get("format")),
            " · ",
            named(LANGUAGE_NAMES, data.get("locale")),
        )
    }


def _anonymized(_e: ComplaintEvent, data: dict[str, Any], _names: Names) -> dict[str, Any]:
    return {"sentence": named(ERASURE_REASONS, data.get("reason"))}


def _changes(_e: ComplaintEvent, data: dict[str, Any], names: Names) -> dict[str, Any]:
    return {
        "changes": tuple(
            Change(_field(field, names), tuple(value_in_words(field, value, names) for value in pair))
            for field, pair in data.items()
        )
    }


_SHAPES: dict[str, Shape] = {
    "form_printed": _form_printed,
    "anonymized": _anonymized,
    "registered": _registered,
    "transition": _transition,
    "decision": _decision,
    "decision_approved": _decision_approved,
    "rated": _rated,
    "escalation": _escalation,
    "action_added": _action_added,
    "file": _file,
    "file_refused": _file_refused,
}


def _field(field: str, names: Names) -> Text:
    if field == "national_id":
        return Text(national_id_name(names.country))
    return named(FIELD_NAMES, field)


def value_in_words(field: str, value: object, names: Names) -> Value:
    """A field's value as the log keeps it (an id, a list's value, an ISO date, typed text), in words."""
    if value is None or value is False or value == "":
        return Value(NO_VALUE)
    if value is True:
        return Value("✓")
    words = _FIELD_WORDS.get(field)
    return Value(words(value, names)) if words is not None else Value(str(value), typed=True)


def _kept(rows: Mapping[int, Unit | Category | RootCause], value: object) -> object:
    found = rows.get(value) if isinstance(value, int) else None
    return Text(Localized(found.names, localized)) if found is not None else NO_VALUE


def _listed(words: Mapping[str, object], value: object, _names: Names) -> object:
    return named(words, value)


# How each field's value is said; a field not here holds typed text.
_FIELD_WORDS: dict[str, Callable[[Any, Names], object]] = {
    **dict.fromkeys(("handler_id", "about_staff_id", "owner_id"), lambda value, names: names.person(value)),
    "unit_id": lambda value, names: _kept(names.units, value),
    "category_id": lambda value, names: _kept(names.categories, value),
    "root_cause_id": lambda value, names: _kept(names.root_causes, value),
    **{field: partial(_listed, words) for field, words in _LISTED.items()},
    "preferred_locale": lambda value, _names: LANGUAGE_NAMES.get(str(value), value),
    "due_on": lambda value, _names: Text(Localized(value, _day)),
    "level": lambda value, _names: Text(ungrouped(value)),
}


def _day(value: object, locale: str) -> str:
    """A date the log keeps in ISO 8601, in `locale`'s calendar; one that is not a date is shown as it is."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, date):
        return str(value)
    zone = str(get_timezone()) if isinstance(value, datetime) else "UTC"
    return format_moment(value, locale, zone, "date")


# The customer's page


class _Step(Protocol):
    kind: str
    at: datetime
    data: dict[str, Any]
    body: str | None
    actor_id: int | None


@dataclass(frozen=True)
class CustomerEntry:
    """One step of the complaint as its customer reads it."""

    kind: str
    at: datetime
    # The staff member who took it, where the organization shows names.
    who: str | None
    what: object
    # The text and the file's name, only to whoever proved they filed the complaint.
    body: str | None = None
    filename: str | None = None


def describe_for_customer(
    steps: Iterable[_Step], staff: Mapping[int, StaffMember], *, proven: bool
) -> list[CustomerEntry]:
    """The customer's page's history, in the customer's words; `staff` are the names it may show."""
    return [_customer_entry(step, staff, proven) for step in steps]


def _customer_entry(step: _Step, staff: Mapping[int, StaffMember], proven: bool) -> CustomerEntry:
    data = step.data or {}
    member = staff.get(step.actor_id) if step.actor_id is not None else None
    if step.kind == "transition":
        what = TRANSITION_WORDS.get(data.get("action"), data.get("action"))
    else:
        what = EVENT_WORDS.get(step.kind, step.kind)
    return CustomerEntry(
        kind=step.kind,
        at=step.at,
        who=member.name if member is not None else None,
        what=what,
        body=step.body if proven else None,
        filename=(data.get("filename") or None) if proven and step.kind == "file" else None,
    )
