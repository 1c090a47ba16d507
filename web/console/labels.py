"""The names the console shows in the reader's language; the complaint file's own come from
services.complaints.words."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from services.complaints.words import (
    ACTION_STATUS_NAMES,
    CHANNEL_NAMES,
    CONTACT_NAMES,
    FORM_NAMES,
    KIND_NAMES,
    PRIORITY_NAMES,
    STATE_NAMES,
    STEP_NAMES,
    score_words,
)
from services.gateways.base import Reason
from web.forms import date_input_value, date_placeholder

TAB_NAMES = {"open": _l("Open"), **STATE_NAMES, "all": _l("All")}
# What became of a mail read from the organization's mailbox.
MAIL_OUTCOMES = {
    "registered": _l("Registered as a new complaint"),
    "message": _l("Added to its complaint"),
    "auto_reply": _l("Left alone: an automatic reply"),
    "bulk": _l("Left alone: a mailing list or bulk mail"),
    "bounce": _l("Left alone: a delivery failure report"),
    "loop": _l("Left alone: it would start a mail loop"),
    "bad_sender": _l("Left alone: no address to answer"),
    "empty": _l("Left alone: empty"),
    "refused": _l("Not taken: see the log"),
}


def label(names: dict[str, object], value: str | None) -> str:
    """The translated name of `value`, or the value itself."""
    if value is None:
        return ""
    return str(names.get(value, value))


NOTICE_STATUS_WORDS = {
    "pending": _l("Waiting"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
}
# What happened, in the reader's words: a mail server's or a gateway's own answer is the operators' (the log),
# never shown, as it may carry anything the remote side chose to say.
NOTICE_REASON_WORDS = {
    Reason.NO_WAY: _l("No way to reach the recipient: nothing is set up to send this way."),
    Reason.MAILBOX_FULL: _l("The recipient's mailbox is full."),
    Reason.ADDRESS_REFUSED: _l("The address or number was refused: it may not exist."),
    Reason.UNREACHABLE: _l("The server could not be reached."),
    Reason.LOGIN_REFUSED: _l("The server refused the account: check its password or key in settings."),
    Reason.TIMED_OUT: _l("The server took too long to answer."),
    Reason.TRY_LATER: _l("The server asked to try again later."),
    Reason.REFUSED: _l("The server refused the message."),
    Reason.OTHER: _l("Not delivered: the server gave no clear reason."),
}
NOTICE_CHANNEL_WORDS = {
    "email": _l("E-mail"),
    "sms": _l("Text message"),
    "whatsapp": _l("WhatsApp"),
    "webhook": _l("Webhook"),
}
# What a channel later said of a sent notice (WhatsApp's statuses).
NOTICE_RECEIPT_WORDS = {"delivered": _l("delivered"), "read": _l("read by the recipient")}
NOTICE_EVENT_WORDS = {
    "registered": _l("Receipt confirmed to the customer"),
    "verification_code": _l("One-time code"),
    "staff_message": _l("Message to the customer"),
    "responded": _l("Answer to the customer"),
    "reopened": _l("Reopening told to the customer"),
    "closed": _l("Closing told to the customer"),
    "closing_soon": _l("Customer told the complaint will close"),
    "rating_reminder": _l("Reminder to rate"),
    "new_complaint": _l("New complaint, told to its unit or the complaints officers"),
    "assigned": _l("Assigned to a handler"),
    "assigned_unit": _l("Assigned to a unit, told to its staff"),
    "decision_pending": _l("Decision awaiting approval, told to those who may approve it"),
    "customer_replied": _l("Customer added to a complaint"),
    "unassigned_reply": _l("Customer added to a complaint nobody handles yet"),
    "customer_accepted": _l("Customer accepted an answer"),
    "customer_rejected": _l("Customer rejected an answer"),
    "customer_withdrew": _l("Customer withdrew a complaint"),
    "deadline_near": _l("Deadline near, told to staff"),
    "deadline_passed": _l("Deadline passed, told to staff"),
    "escalated": _l("Escalation, told to staff"),
    "invitation": _l("Invitation to join the staff"),
    "password_reset": _l("Password reset link"),
    "scheduled_report": _l("A report subscribed to by e-mail"),
    "factors_reset": _l("Sign-in methods reset, told to the staff member"),
    "email_change": _l("A new e-mail address to confirm"),
    "email_changed": _l("E-mail address changed, told to the old address"),
}


def init_app(app) -> None:
    app.jinja_env.globals.update(
        NOTICE_STATUS_WORDS=NOTICE_STATUS_WORDS,
        NOTICE_CHANNEL_WORDS=NOTICE_CHANNEL_WORDS,
        NOTICE_REASON_WORDS=NOTICE_REASON_WORDS,
        NOTICE_RECEIPT_WORDS=NOTICE_RECEIPT_WORDS,
        NOTICE_EVENT_WORDS=NOTICE_EVENT_WORDS,
        STATE_NAMES=STATE_NAMES,
        TAB_NAMES=TAB_NAMES,
        KIND_NAMES=KIND_NAMES,
        CHANNEL_NAMES=CHANNEL_NAMES,
        CONTACT_NAMES=CONTACT_NAMES,
        PRIORITY_NAMES=PRIORITY_NAMES,
        ACTION_STATUS_NAMES=ACTION_STATUS_NAMES,
        FORM_NAMES=FORM_NAMES,
        STEP_NAMES=STEP_NAMES,
        MAIL_OUTCOMES=MAIL_OUTCOMES,
        label=label,
        score_words=score_words,
        date_placeholder=date_placeholder,
        date_input_value=date_input_value,
    )
