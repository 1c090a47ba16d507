"""What the customer reads on the portal besides where a complaint stands (services.labels): a rated complaint's
state, what the status page's dates mean, and the ways to reach the organization."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# A closed complaint the customer has rated: nothing more is asked of them.
RATED_WORDS = (_l("Closed"), _l("The complaint is closed. Thank you for telling us how we handled it."))
# What the date on the status page means in each state; after an answer, the day it closes by itself.
DUE_WORDS = {
    "received": _l("Receipt confirmed by"),
    "acknowledged": _l("An answer by"),
    "investigating": _l("An answer by"),
    "action": _l("An answer by"),
    "responded": _l("Please answer by"),
}
CHANNEL_WORDS = {
    "phone": _l("Complaint phone line"),
    "sms": _l("SMS"),
    "email": _l("E-mail"),
    "telegram": _l("Telegram"),
    "bale": _l("Bale"),
    "eitaa": _l("Eitaa"),
    "rubika": _l("Rubika"),
    "whatsapp": _l("WhatsApp"),
    "postal": _l("Postal address"),
    "in_person": _l("In person"),
    "suggestion_box": _l("Suggestion boxes"),
}
