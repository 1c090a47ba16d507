"""The lifecycle steps the complaint page offers as buttons, in its order: the lifecycle's rules say which."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from services.complaints.lifecycle import Action, available
from services.complaints.models import Complaint, Decision
from services.complaints.words import STEP_NAMES
from tenants.models import StaffMember

# The steps, in the page's order; one that takes a text says what the text is, the others take one click.
STEPS: dict[Action, LazyString | None] = {
    Action.ACKNOWLEDGE: None,
    Action.INVESTIGATE: None,
    Action.APPROVE: None,
    Action.RESPOND: _l("The answer the customer will receive"),
    Action.CLOSE: _l("Closing note (optional)"),
    Action.REOPEN: _l("Why the customer rejected the answer"),
    Action.WITHDRAW: _l("Why the complaint is withdrawn"),
    Action.ESCALATE: _l("Why it is escalated"),
}


@dataclass(frozen=True)
class Step:
    """A step the reader may take now: its action, its button, and the text it asks for (None: one click)."""

    action: str
    name: LazyString
    asks: LazyString | None = None


def offered_steps(complaint: Complaint, actor: StaffMember, decision: Decision | None) -> list[Step]:
    """The steps `actor` may take on `complaint` now; approving only where the cycle's `decision` awaits it."""
    allowed = available(complaint, actor)
    awaiting = decision is not None and decision.approved_by_id is None
    return [
        Step(action.value, STEP_NAMES[action.value], asks)
        for action, asks in STEPS.items()
        if action in allowed and (action != Action.APPROVE or awaiting)
    ]
