"""The wording of notices: a default per event and channel in every language, or the tenant's own.

Defaults are translatable texts with %(name)s placeholders. A tenant's own wording uses {{ name }} and is
rendered in Jinja's sandbox with autoescaping off and only the placeholders below in reach, so a template
cannot call into the server or read anything but what a notice may say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from services.errors import ServiceError

# Channels by the shape of what they carry: e-mail has a subject and room; the rest take a short text.
EMAIL_CHANNELS = frozenset({"email"})

# What every notice may say, and what each placeholder is (shown to the editor of a template).
PLACEHOLDERS: dict[str, Any] = {
    "code": _l("the tracking code"),
    "name": _l("the complainant's name"),
    "organization": _l("your organization's name"),
    "subject": _l("the complaint's subject"),
    "state": _l("where the complaint stands, in plain words"),
    "link": _l("the link to the complaint (for the customer: the tracking page, signed in)"),
    "due": _l("the next due date, in the reader's calendar"),
    "message": _l("the message or answer, where the event has one"),
    "one_time_code": _l("the one-time code, in verification notices"),
}


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
_env = ImmutableSandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)


class WordingError(ServiceError):
    """A tenant's template that does not render: the message says where."""


RTL_LOCALES = frozenset({"fa"})


def shown_code(code: str, locale: str) -> str:
    """A formatted tracking code as text in `locale`: in right-to-left text, isolated left-to-right so that its
    groups keep their order (1234-5678-90128, not 90128-5678-1234)."""
    return f"\u2066{code}\u2069" if locale in RTL_LOCALES else code


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


def check_template(text: str) -> None:
    """Refuse a template that does not parse or names a placeholder that does not exist."""
    try:
        parsed = _env.parse(text)
    except TemplateError as exc:
        raise WordingError(_("This template has a mistake: %(error)s", error=exc.message or str(exc))) from exc
    from jinja2 import meta

    unknown = sorted(meta.find_undeclared_variables(parsed) - set(PLACEHOLDERS))
    if unknown:
        raise WordingError(_("There is no placeholder called %(names)s.", names=", ".join(unknown)))


def render(subject: str, body: str, values: dict[str, str]) -> tuple[str, str]:
    """Fill a (subject, body) template pair in the sandbox."""
    context = {name: values.get(name, "") for name in PLACEHOLDERS}
    try:
        return (
            " ".join(_env.from_string(subject).render(context).split()) if subject else "",
            _env.from_string(body).render(context).strip(),
        )
    except TemplateError as exc:
        raise WordingError(_("This template has a mistake: %(error)s", error=exc.message or str(exc))) from exc
