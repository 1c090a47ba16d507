"""The complaint file's words in the reader's language: the names of its states, kinds, channels, steps and log
entries, the fields a log entry changes, and the customer's rating. Lazy texts, turned into words when shown."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from markupsafe import escape

from tenants.text import number

STATE_NAMES = {
    "received": _l("Received"),
    "acknowledged": _l("Acknowledged"),
    "investigating": _l("Under investigation"),
    "action": _l("Corrective action"),
    "responded": _l("Answered"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn"),
}
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
    "form_printed": _l("Form printed"),
    "anonymized": _l("Personal data removed"),
    "hold_set": _l("Legal hold set"),
    "hold_lifted": _l("Legal hold lifted"),
}
# Why a complaint's personal data was removed (services.records.retention).
ERASURE_REASONS = {
    "retention": _l("The organization's retention time for personal data had passed."),
    "request": _l("At the complainant's request."),
}
# The seed's two forms of a complaint (services.records.forms).
FORM_NAMES = {"registration": _l("Registration form"), "follow_up": _l("Follow-up form")}
PRINT_FORMAT_NAMES = {"pdf": "PDF", "html": _l("Printable page")}
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
# The fields a log entry names; the national ID goes by its country's name (services.contacts).
FIELD_NAMES = {
    "kind": _l("Kind"),
    "channel": _l("Channel"),
    "complainant_name": _l("Complainant"),
    "phone": _l("Mobile phone"),
    "email": _l("E-mail address"),
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


class Text:
    """Words turned into the reader's language when shown: lazy texts (perhaps with values in them) and plain
    strings, one after the other. A page escapes all of it, as the values (a staff member's name) are typed."""

    __slots__ = ("parts",)

    def __init__(self, *parts: object) -> None:
        self.parts = parts

    def __str__(self) -> str:
        return "".join(str(part) for part in self.parts)

    def __html__(self) -> str:
        return escape(str(self))

    def __repr__(self) -> str:
        return f"Text({str(self)!r})"


def named(names: Mapping[str, object], value: object) -> Text:
    """The name of `value` in `names` (or the value itself), when shown."""
    return Text("" if value is None else names.get(value, value))


def score_words(score: int) -> Text:
    """The customer's score of the handling in figures and words: "4 of 5: well"."""
    words = SCORE_WORDS.get(str(score), str(score))
    return Text(_l("%(score)s of %(top)s: %(words)s", score=number(score), top=number(5), words=words))
