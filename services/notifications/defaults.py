"""The built-in wording of notices: for each event a subject and a body for e-mail, and a short text for SMS and
the messengers, translatable into every language the service speaks.

The texts have %(name)s placeholders (the names templates.PLACEHOLDERS lists); as_template turns them into the
{{ name }} of a tenant's own wording, so that both are filled the same way, in the sandbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

# Channels by the shape of what they carry: e-mail has a subject and room; the rest take a short text.
EMAIL_CHANNELS = frozenset({"email"})


@dataclass(frozen=True)
class Wording:
    subject: Any  # a lazy text with %(name)s placeholders ("" for short channels)
    body: Any
    short: Any  # for SMS and messengers


# Customer events, then staff events. Each text is translated; placeholders stay as they are.
DEFAULTS: dict[str, Wording] = {
    "registered": Wording(
        _l("Complaint %(code)s received"),
        _l(
            "Dear %(name)s,\n\n%(organization)s has received your complaint. Its tracking code is %(code)s.\n"
            "Follow it, add to it or answer us here: %(link)s\n\nWe will answer by %(due)s. Filing a complaint "
            "costs nothing."
        ),
        _l("%(organization)s: complaint received, code %(code)s. Follow it: %(link)s"),
    ),
    "verification_code": Wording(
        _l("Your one-time code: %(one_time_code)s"),
        _l(
            "Your one-time code for complaint %(code)s is %(one_time_code)s. It works for 10 minutes.\n\n"
            "If you did not ask for it, ignore this message."
        ),
        _l("%(organization)s: your one-time code is %(one_time_code)s (complaint %(code)s)."),
    ),
    "staff_message": Wording(
        _l("A message about your complaint %(code)s"),
        _l(
            "Dear %(name)s,\n\n%(organization)s has written to you about complaint %(code)s:\n\n%(message)s\n\n"
            "Read it and reply here: %(link)s"
        ),
        _l("%(organization)s wrote to you about complaint %(code)s. Read it and reply: %(link)s"),
    ),
    "responded": Wording(
        _l("Our answer to your complaint %(code)s"),
        _l(
            "Dear %(name)s,\n\nWe have answered your complaint %(code)s:\n\n%(message)s\n\nIf the answer settles "
            "it, accept it; if not, tell us why and we will look again: %(link)s"
        ),
        _l("%(organization)s answered complaint %(code)s. Read it and tell us if it settles it: %(link)s"),
    ),
    "reopened": Wording(
        _l("We are looking at your complaint %(code)s again"),
        _l(
            "Dear %(name)s,\n\nYou told us our answer did not settle complaint %(code)s, so we are looking at it "
            "again. We will answer by %(due)s.\n\nFollow it here: %(link)s"
        ),
        _l("%(organization)s is looking at complaint %(code)s again. Follow it: %(link)s"),
    ),
    "closed": Wording(
        _l("Your complaint %(code)s is closed"),
        _l(
            "Dear %(name)s,\n\nComplaint %(code)s is closed. Tell us how we handled it; it takes a minute: "
            "%(link)s\n\nThank you for telling us."
        ),
        _l("%(organization)s closed complaint %(code)s. How did we do? %(link)s"),
    ),
    "closing_soon": Wording(
        _l("Does our answer to complaint %(code)s settle it?"),
        _l(
            "Dear %(name)s,\n\nWe answered your complaint %(code)s and have not heard from you. If the answer does "
            "not settle it, tell us here, and we will look again: %(link)s\n\nOtherwise we will close the "
            "complaint in a few days."
        ),
        _l("%(organization)s: does our answer to complaint %(code)s settle it? Tell us, or it closes soon: %(link)s"),
    ),
    "rating_reminder": Wording(
        _l("How did we handle complaint %(code)s?"),
        _l(
            "Dear %(name)s,\n\nComplaint %(code)s is closed, and we would still like to hear how we handled it. "
            "Rating it takes a minute and helps us do better: %(link)s\n\nThank you."
        ),
        _l("%(organization)s: how did we handle complaint %(code)s? %(link)s"),
    ),
    "assigned": Wording(
        _l("Complaint %(code)s is assigned to you"),
        _l("Complaint %(code)s (%(subject)s) is now yours. Next due: %(due)s.\n\n%(link)s"),
        _l("Complaint %(code)s is assigned to you: %(link)s"),
    ),
    "assigned_unit": Wording(
        _l("Complaint %(code)s is assigned to your unit"),
        _l("Complaint %(code)s (%(subject)s) is assigned to your unit, with no handler yet. Due: %(due)s.\n\n%(link)s"),
        _l("Complaint %(code)s is assigned to your unit: %(link)s"),
    ),
    "new_complaint": Wording(
        _l("New complaint %(code)s"),
        _l(
            "A new complaint has arrived: %(code)s (%(subject)s), from %(name)s. Nobody handles it yet.\n"
            "Due: %(due)s.\n\n%(link)s"
        ),
        _l("New complaint %(code)s: %(link)s"),
    ),
    "decision_pending": Wording(
        _l("The decision on complaint %(code)s awaits your approval"),
        _l(
            "A decision on complaint %(code)s (%(subject)s) was recorded and awaits approval; the answer cannot go "
            "out before it.\n\n%(link)s"
        ),
        _l("The decision on complaint %(code)s awaits approval: %(link)s"),
    ),
    "unassigned_reply": Wording(
        _l("The customer added to complaint %(code)s, which nobody handles yet"),
        _l(
            "The customer added a message or a file to complaint %(code)s (%(subject)s). The complaint has no "
            "handler yet.\n\n%(link)s"
        ),
        _l("The customer added to complaint %(code)s, which has no handler: %(link)s"),
    ),
    "customer_replied": Wording(
        _l("The customer added to complaint %(code)s"),
        _l("The customer added a message or a file to complaint %(code)s (%(subject)s).\n\n%(link)s"),
        _l("The customer added to complaint %(code)s: %(link)s"),
    ),
    "customer_accepted": Wording(
        _l("The customer accepted the answer to complaint %(code)s"),
        _l("The customer accepted the answer to complaint %(code)s (%(subject)s); it is closed.\n\n%(link)s"),
        _l("The customer accepted the answer to complaint %(code)s."),
    ),
    "customer_rejected": Wording(
        _l("The customer rejected the answer to complaint %(code)s"),
        _l(
            "The customer rejected the answer to complaint %(code)s (%(subject)s); it is back in investigation. "
            "Next due: %(due)s.\n\n%(link)s"
        ),
        _l("The customer rejected the answer to complaint %(code)s: %(link)s"),
    ),
    "customer_withdrew": Wording(
        _l("The customer withdrew complaint %(code)s"),
        _l("The customer withdrew complaint %(code)s (%(subject)s); nothing more is to be done on it.\n\n%(link)s"),
        _l("The customer withdrew complaint %(code)s."),
    ),
    "deadline_near": Wording(
        _l("Complaint %(code)s is due soon"),
        _l("Complaint %(code)s (%(subject)s) is due %(due)s. It stands at: %(state)s.\n\n%(link)s"),
        _l("Complaint %(code)s is due %(due)s: %(link)s"),
    ),
    "deadline_passed": Wording(
        _l("Complaint %(code)s is overdue"),
        _l("Complaint %(code)s (%(subject)s) was due %(due)s and is still open. It stands at: %(state)s.\n\n%(link)s"),
        _l("Complaint %(code)s is overdue: %(link)s"),
    ),
    "escalated": Wording(
        _l("Complaint %(code)s is escalated to you"),
        _l(
            "Complaint %(code)s (%(subject)s) is escalated to you. It stands at: %(state)s; next due: %(due)s.\n\n"
            "%(link)s"
        ),
        _l("Complaint %(code)s is escalated to you: %(link)s"),
    ),
}

EVENTS = tuple(DEFAULTS)
_PERCENT = re.compile(r"%\((\w+)\)s")


def as_template(text: str) -> str:
    """A default text in the editor's syntax: %(code)s becomes {{ code }}."""
    return _PERCENT.sub(lambda m: "{{ " + m.group(1) + " }}", text)


def default_wording(event: str, channel: str, locale: str) -> tuple[str, str]:
    """(subject, body) of the default, in `locale`, as templates."""
    wording = DEFAULTS[event]
    with force_locale(locale):
        if channel in EMAIL_CHANNELS:
            return as_template(str(wording.subject)), as_template(str(wording.body))
        return "", as_template(str(wording.short))
