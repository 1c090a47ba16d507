"""Where a complaint stands, in the customer's words: the portal's status page, the notices' {{ state }} and the
bots' answers say it alike."""

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
