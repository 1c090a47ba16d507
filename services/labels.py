"""Where a complaint stands and what happened to it, in the customer's words: the portal's status page and its
history (services.complaints.timeline), the notices' {{ state }} and the bots' answers say it alike."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATE_WORDS = {
    "received": (_l("Received"), _l("We have your complaint. We will confirm that it has reached the right people.")),
    "acknowledged": (_l("Receipt confirmed"), _l("The right people have it and will start looking into it.")),
    "investigating": (_l("Being looked into"), _l("We are finding out what happened and what can be done.")),
    "action": (_l("Being put right"), _l("We found the complaint justified and are putting things right.")),
    "responded": (
        _l("Answered"),
        _l("We have answered. Please tell us whether the answer settles the matter for you."),
    ),
    "closed": (_l("Closed"), _l("The complaint is closed. Please tell us how we handled it.")),
    "withdrawn": (_l("Withdrawn"), _l("The complaint was withdrawn. Nothing more will be done on it.")),
}
# The customer's history of their complaint: the entries they see, and the steps by their name for them.
EVENT_WORDS = {
    "registered": _l("Complaint received"),
    "message": _l("Message from us"),
    "customer_message": _l("Your message"),
    "file": _l("File added"),
    "rated": _l("Your rating"),
}
TRANSITION_WORDS = {
    "acknowledge": _l("Receipt confirmed"),
    "investigate": _l("Investigation started"),
    "decide": _l("Decision taken"),
    "respond": _l("Our answer"),
    "close": _l("Closed"),
    "reopen": _l("You did not accept the answer; investigation resumed"),
    "withdraw": _l("Withdrawn"),
}
