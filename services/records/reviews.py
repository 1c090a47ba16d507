"""Management reviews (ISO 10002 8.6): each a record of the period looked at, the date, who took part and the
decisions taken (what, who sees to it, by when), each decision's status kept up until the next review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.records.models import REVIEW_STATUSES, ManagementReview, ReviewDecision
from tenants.db import db, utcnow
from tenants.errors import NotFound, Refused
from tenants.models import StaffMember
from tenants.roles import Permission, require
from tenants.text import normalize_input

MOST_DECISIONS = 20
_LONGEST = 4000


@dataclass(frozen=True)
class DecisionInput:
    text: str
    owner_id: int | None = None
    due_on: date | None = None


def _text(value: str | None, field: str, *, required: bool) -> str | None:
    text = (normalize_input(value or "") or "").strip()
    if required and not text:
        raise Refused(_l("Fill this in."), field=field)
    if len(text) > _LONGEST:
        raise Refused(_l("This is too long: at most %(n)s characters.", n=_LONGEST), field=field)
    return text or None


def record_review(
    actor: StaffMember,
    *,
    first: date,
    last: date,
    held_on: date | None,
    attendees: str,
    notes: str,
    decisions: list[DecisionInput],
) -> ManagementReview:
    """Keep a review held on `held_on` of the period `first`–`last` with its decisions. Refused, keeping
    nothing, when the date or the attendees are missing, a decision's owner is not one of the organization's
    staff, or there are more than MOST_DECISIONS decisions."""
    require(actor, Permission.MANAGE_REVIEWS)
    if held_on is None:
        raise Refused(_l("Type the day the review was held."), field="held_on")
    if len(decisions) > MOST_DECISIONS:
        raise Refused(_l("A review can record at most %(n)s decisions.", n=MOST_DECISIONS), field="decisions")
    review = ManagementReview(
        period_first=first,
        period_last=last,
        held_on=held_on,
        attendees=_text(attendees, "attendees", required=True),
        notes=_text(notes, "notes", required=False),
        created_by_id=actor.id,
    )
    db.session.add(review)
    db.session.flush()
    for n, decision in enumerate(decisions):
        if decision.owner_id is not None and db.session.get(StaffMember, decision.owner_id) is None:
            raise Refused(_l("Choose a staff member from the list."), field=f"decision-{n}-owner")
        db.session.add(
            ReviewDecision(
                review_id=review.id,
                text=_text(decision.text, f"decision-{n}-text", required=True),
                owner_id=decision.owner_id,
                due_on=decision.due_on,
            )
        )
    db.session.flush()
    return review


def update_decision(actor: StaffMember, decision_id: int, status: str, note: str) -> ReviewDecision:
    """A decision done, dropped or open again, with a note on how it went."""
    require(actor, Permission.MANAGE_REVIEWS)
    decision = db.session.get(ReviewDecision, decision_id)
    if decision is None:
        raise NotFound(_l("There is no such decision."))
    if status not in REVIEW_STATUSES:
        raise Refused(_l("Choose a status from the list."), field="status")
    decision.status = status
    decision.status_note = _text(note, "note", required=False)
    decision.updated_at = utcnow()
    db.session.flush()
    return decision


def reviews() -> list[tuple[ManagementReview, list[ReviewDecision]]]:
    """The organization's reviews, latest first, each with its decisions in order."""
    found = list(
        db.session.scalars(
            sa.select(ManagementReview).order_by(ManagementReview.held_on.desc(), ManagementReview.id.desc())
        )
    )
    decisions: dict[int, list[ReviewDecision]] = {r.id: [] for r in found}
    if found:
        for d in db.session.scalars(
            sa.select(ReviewDecision).where(ReviewDecision.review_id.in_(list(decisions))).order_by(ReviewDecision.id)
        ):
            decisions[d.review_id].append(d)
    return [(r, decisions[r.id]) for r in found]


def previous_review(first: date) -> tuple[ManagementReview, list[ReviewDecision]] | None:
    """The latest review of a period that ended before `first` (the first day of the period a new pack is for),
    with its decisions: what the next review follows up."""
    review = db.session.scalar(
        sa.select(ManagementReview)
        .where(ManagementReview.period_last < first)
        .order_by(ManagementReview.held_on.desc(), ManagementReview.id.desc())
        .limit(1)
    )
    if review is None:
        return None
    decisions = list(
        db.session.scalars(
            sa.select(ReviewDecision).where(ReviewDecision.review_id == review.id).order_by(ReviewDecision.id)
        )
    )
    return review, decisions
