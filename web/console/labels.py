"""The names of the complaint file's states, kinds, channels and steps, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from services.gateways.base import Reason
from web.country import NATIONAL_ID_LABEL
from web.forms import date_placeholder

STATE_NAMES = {
    "received": _l("Received"),
    "acknowledged": _l("Acknowledged"),
    "investigating": _l("Under investigation"),
    "action": _l("Corrective action"),
    "responded": _l("Answered"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn"),
}
TAB_NAMES = {"open": _l("Open"), **STATE_NAMES, "all": _l("All")}
KIND_NAMES = {"complaint": _l("Complaint"), "suggestion": _l("Suggestion"), "compliment": _l("Compliment")}
CHANNEL_NAMES = {
    "web": _l("Web form"),
    "phone": _l("Phone"),
    "letter": _l("Letter"),
    "in_person": _l("In person"),
    "suggestion_box": _l("Suggestion box"),
    "email": _l("E-mail"),
    "sms": _l("SMS"),
    "messenger": _l("Messenger"),
    "api": _l("Another system (API)"),
}
CONTACT_NAMES = {
    "phone": _l("Phone call"),
    "sms": _l("SMS"),
    "email": _l("E-mail"),
    "messenger": _l("Messenger"),
    "whatsapp": _l("WhatsApp"),
    "letter": _l("Letter"),
}
PRIORITY_NAMES = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
ACTION_STATUS_NAMES = {
    "planned": _l("Planned"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "verified_effective": _l("Verified effective"),
    "verified_ineffective": _l("Verified ineffective"),
    "deferred": _l("Deferred"),
}
# The button that takes each step.
STEP_NAMES = {
    "acknowledge": _l("Acknowledge receipt"),
    "investigate": _l("Start investigation"),
    "decide": _l("Record the decision"),
    "approve": _l("Approve the decision"),
    "respond": _l("Send the answer"),
    "close": _l("Close"),
    "reopen": _l("Customer rejected the answer"),
    "withdraw": _l("Withdrawn by the customer"),
    "escalate": _l("Escalate"),
}
EVENT_NAMES = {
    "registered": _l("Registered"),
    "transition": _l("State changed"),
    "decision": _l("Decision recorded"),
    "decision_approved": _l("Decision approved"),
    "assigned": _l("Assigned"),
    "escalated": _l("Escalated"),
    "escalation": _l("Escalation rule acted"),
    "edited": _l("Record corrected"),
    "note": _l("Internal note"),
    "message": _l("Message to the customer"),
    "customer_message": _l("Message from the customer"),
    "action_added": _l("Corrective action planned"),
    "action_updated": _l("Corrective action updated"),
    "action_edited": _l("Corrective action's plan changed"),
    "file": _l("File added"),
    "file_refused": _l("File not kept"),
    "mail_after_close": _l("Mail from the customer after closing"),
    "rated": _l("The customer rated the handling"),
}
# The customer's score of the handling (1 to 5), in words.
SCORE_WORDS = {
    "1": _l("very badly"),
    "2": _l("badly"),
    "3": _l("fairly"),
    "4": _l("well"),
    "5": _l("very well"),
}
# An escalation rule's person who was missing, and who was told instead.
STAND_IN_WORDS = {
    "handler:unit_head": _l("Nobody handles the complaint: its unit's head was told instead."),
    "handler:managers": _l("Nobody handles the complaint, and it has no unit head: the managers were told instead."),
    "unit_head:managers": _l("The complaint has no unit head: the managers were told instead."),
}
# Why a file that came with a mail was not kept (services.files.checking's reasons).
FILE_REFUSALS = {
    "empty": _l("The file is empty."),
    "too_large": _l("The file is too large."),
    "too_large_total": _l("The complaint's files reached their size limit."),
    "type_not_allowed": _l("Files of this type are not accepted."),
    "broken": _l("The file is damaged."),
}
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
FIELD_NAMES = {
    "kind": _l("Kind"),
    "channel": _l("Channel"),
    "complainant_name": _l("Complainant"),
    "phone": _l("Mobile phone"),
    "email": _l("E-mail address"),
    "national_id": NATIONAL_ID_LABEL,
    "preferred_contact": _l("Preferred contact"),
    "preferred_locale": _l("Language"),
    "representative_name": _l("Representative"),
    "representative_relation": _l("Relation to the customer"),
    "subject": _l("Subject"),
    "description": _l("Description"),
    "remedy_sought": _l("Remedy sought"),
    "category_id": _l("Category"),
    "priority": _l("Priority"),
    "safety": _l("Safety issue"),
    "about_staff_id": _l("Staff member the complaint is about"),
    "unit_id": _l("Unit"),
    "handler_id": _l("Handler"),
    "status": _l("Status"),
    "level": _l("Escalation level"),
    "state": _l("State"),
    "root_cause_id": _l("Root cause"),
    "root_cause_text": _l("Root cause in detail"),
    "owner_id": _l("Responsible person"),
    "due_on": _l("Due date"),
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
NOTICE_CHANNEL_WORDS = {"email": _l("E-mail"), "sms": _l("Text message"), "webhook": _l("Webhook")}
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
}


def init_app(app) -> None:
    app.jinja_env.globals.update(
        NOTICE_STATUS_WORDS=NOTICE_STATUS_WORDS,
        NOTICE_CHANNEL_WORDS=NOTICE_CHANNEL_WORDS,
        NOTICE_REASON_WORDS=NOTICE_REASON_WORDS,
        NOTICE_EVENT_WORDS=NOTICE_EVENT_WORDS,
        STATE_NAMES=STATE_NAMES,
        TAB_NAMES=TAB_NAMES,
        KIND_NAMES=KIND_NAMES,
        CHANNEL_NAMES=CHANNEL_NAMES,
        CONTACT_NAMES=CONTACT_NAMES,
        PRIORITY_NAMES=PRIORITY_NAMES,
        ACTION_STATUS_NAMES=ACTION_STATUS_NAMES,
        STEP_NAMES=STEP_NAMES,
        EVENT_NAMES=EVENT_NAMES,
        SCORE_WORDS=SCORE_WORDS,
        STAND_IN_WORDS=STAND_IN_WORDS,
        FILE_REFUSALS=FILE_REFUSALS,
        MAIL_OUTCOMES=MAIL_OUTCOMES,
        FIELD_NAMES=FIELD_NAMES,
        label=label,
        date_placeholder=date_placeholder,
    )
