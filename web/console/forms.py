"""The complaint file's forms: registration, assignment, the decision, corrective actions, notes and files."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, time

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from tenants.models import LOCALES
from tenants.text import parse_id
from web.console.labels import (
    ACTION_STATUS_NAMES,
    CHANNEL_NAMES,
    CONTACT_NAMES,
    KIND_NAMES,
    PRIORITY_NAMES,
)
from web.country import NATIONAL_ID_LABEL
from web.forms import BaseForm, CodeField, Length, LocalDateField, NumberRange, choices
from web.i18n import LANGUAGE_NAMES
from web.portal.forms import CustomFields

_TIME = re.compile(r"([01]?\d|2[0-3])[:٫.]([0-5]\d)")
NONE = ""


def optional_id(value: object) -> int | None:
    """A select's id: None when empty; -1 (no such row, which the service refuses) when malformed."""
    text = str(value or "").strip()
    if not text:
        return None
    found = parse_id(text)
    return -1 if found is None else found


def _optional_int(value: object) -> int | None:
    if value in (None, "", NONE):
        return None
    found = parse_id(value)
    return -1 if found is None else found  # -1: no such row, which the service refuses with the field's message


class VersionedForm(BaseForm):
    """Carries the version of the row as loaded (the complaint, or a corrective action), so a save over someone
    else's change is refused."""

    version = HiddenField()

    def expected_version(self) -> int:
        """The version to hand the service's optimistic-lock check. A missing or malformed one is -1, which no row
        has, so the save is refused as stale; never None, which the services take as "skip the check" (only the
        customer's own steps on the portal, which carry no version)."""
        found = parse_id(self.version.data)
        return -1 if found is None else found


class ComplaintForm(CustomFields, VersionedForm):
    """The registration record (the seed's form F-06-02-01)."""

    kind = SelectField(_l("Kind"), default="complaint")
    channel = SelectField(_l("Channel"), default="phone")
    received_on = LocalDateField(_l("Date it arrived"))
    received_time = CodeField(_l("Time it arrived"), validators=[Optional(), Length(max=8)])
    complainant_name = StringField(_l("Complainant's name"), validators=[DataRequired(), Length(max=200)])
    phone = CodeField(_l("Mobile phone"), validators=[Optional(), Length(max=40)])
    email = CodeField(_l("E-mail address"), validators=[Optional(), Length(max=254)])
    national_id = CodeField(NATIONAL_ID_LABEL, validators=[Optional(), Length(max=30)])
    preferred_contact = SelectField(_l("Preferred contact"), default=NONE)
    preferred_locale = SelectField(_l("Customer's language"))
    representative_name = StringField(_l("Filed by (representative)"), validators=[Optional(), Length(max=200)])
    representative_relation = StringField(_l("Relation to the customer"), validators=[Optional(), Length(max=200)])
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[DataRequired(), Length(max=20000)])
    remedy_sought = TextAreaField(_l("Remedy sought"), validators=[Optional(), Length(max=5000)])
    category_id = SelectField(_l("Category"), default=NONE)
    priority = SelectField(_l("Priority"), default="normal")
    safety = BooleanField(_l("A safety issue: handle first"))
    about_staff_id = SelectField(_l("Staff member the complaint is about"), default=NONE)
    files = MultipleFileField(_l("Files"))
    submission_key = HiddenField(validators=[Optional(), Length(max=64)])

    def __init__(self, *args, categories=(), staff=(), default_locale: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices(KIND_NAMES)
        self.channel.choices = choices(CHANNEL_NAMES)
        self.preferred_contact.choices = choices({NONE: "—", **CONTACT_NAMES})
        self.preferred_locale.choices = choices({code: LANGUAGE_NAMES[code] for code in LOCALES})
        self.priority.choices = choices(PRIORITY_NAMES)
        self.category_id.choices = choices({NONE: "—", **dict(categories)})
        self.about_staff_id.choices = choices({NONE: "—", **dict(staff)})
        if not self.is_submitted() and not self.preferred_locale.data:
            self.preferred_locale.data = default_locale
        if not self.is_submitted():
            self.submission_key.data = secrets.token_urlsafe(24)

    def validate_received_time(self, field):
        if field.data and not _TIME.fullmatch(field.data):
            raise ValidationError(_l("Enter a time like 14:30."))

    def received_at(self, tz) -> datetime | None:
        """The arrival moment typed, in the tenant's zone; None means now."""
        day = self.received_on.date_value
        if day is None:
            return None
        match = _TIME.fullmatch(self.received_time.data or "")
        clock = time(int(match.group(1)), int(match.group(2))) if match else time(9, 0)
        return datetime.combine(day, clock, tzinfo=tz)

    def int_or_none(self, name: str) -> int | None:
        return _optional_int(getattr(self, name).data)


class BulkAssignForm(BaseForm):
    """A unit and a handler, for several complaints at once."""

    unit_id = SelectField(_l("Unit"), default=NONE)
    handler_id = SelectField(_l("Handler"), default=NONE)

    def __init__(self, *args, units=(), staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_id.choices = choices({NONE: "—", **dict(units)})
        self.handler_id.choices = choices({NONE: "—", **dict(staff)})


class AssignForm(VersionedForm, BulkAssignForm):
    """A unit and a handler for one complaint, as loaded."""


class StepForm(VersionedForm):
    """A lifecycle step with an optional or required text: the answer, a reason, a closing note."""

    body = TextAreaField(_l("Text"), validators=[Optional(), Length(max=20000)])


class DecisionForm(VersionedForm):
    justified = RadioField(
        _l("Is the complaint justified?"),
        choices=[SelectChoice("yes", _l("Justified")), SelectChoice("no", _l("Not justified"))],
        validators=[InputRequired(_l("Choose whether the complaint is justified."))],
    )
    reasons = TextAreaField(_l("Reasons"), validators=[DataRequired(), Length(max=20000)])
    legal_grounds = TextAreaField(_l("Legal grounds considered"), validators=[Optional(), Length(max=5000)])
    remedy = TextAreaField(_l("Remedy offered"), validators=[Optional(), Length(max=5000)])
    compensation_amount = IntegerField(
        _l("Compensation"),
        validators=[Optional(), NumberRange(min=0, max=10**15, message=_l("Enter a whole amount, 0 or more."))],
    )


class ActionForm(BaseForm):
    root_cause_id = SelectField(_l("Root cause"), default=NONE)
    root_cause_text = TextAreaField(_l("Root cause in detail"), validators=[Optional(), Length(max=5000)])
    description = TextAreaField(_l("Action"), validators=[DataRequired(), Length(max=5000)])
    owner_id = SelectField(_l("Responsible person"), default=NONE)
    unit_id = SelectField(_l("Unit"), default=NONE)
    due_on = LocalDateField(_l("Due date"))

    def __init__(self, *args, causes=(), staff=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.root_cause_id.choices = choices({NONE: "—", **dict(causes)})
        self.owner_id.choices = choices({NONE: "—", **dict(staff)})
        self.unit_id.choices = choices({NONE: "—", **dict(units)})


class EditActionForm(VersionedForm, ActionForm):
    """A corrective action's plan corrected; carries the action's version."""


class ActionStatusForm(VersionedForm):
    status = SelectField(_l("New status"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = choices(ACTION_STATUS_NAMES)


class NoteForm(BaseForm):
    audience = RadioField(
        _l("Who sees it"),
        choices=[
            SelectChoice("note", _l("Internal note (staff only)")),
            SelectChoice("message", _l("Message to the customer")),
        ],
        default="note",
    )
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=20000)])


class FileForm(BaseForm):
    files = MultipleFileField(_l("Files"))
    customer_visible = BooleanField(_l("The customer may see these files"))
