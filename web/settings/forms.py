"""Settings forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Optional, ValidationError

from services.i18n import ungrouped
from tenants.models import LOCALES
from web.common.views import ROLE_NAMES
from web.forms import CHOOSE, BaseForm, CodeField, Length, LocalDateField, NumberRange, choices


class InviteForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), validators=[DataRequired(_l("Choose a role from the list."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A required list opens with an empty choice; "agent" is chosen for a new invitation.
        self.role.choices = choices({"": CHOOSE, **ROLE_NAMES})
        if not self.is_submitted():
            self.role.data = "agent"


class RoleForm(BaseForm):
    role = SelectField(_l("Role"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = choices(ROLE_NAMES)


class NamesForm(BaseForm):
    """A name in each of the four languages; at least one."""

    name_fa = StringField(_l("Name in Persian"), validators=[Optional(), Length(max=200)])
    name_kk = StringField(_l("Name in Kazakh"), validators=[Optional(), Length(max=200)])
    name_ru = StringField(_l("Name in Russian"), validators=[Optional(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)])

    def names(self) -> dict[str, str | None]:
        return {lang: getattr(self, f"name_{lang}").data for lang in LOCALES}

    def fill(self, names: dict[str, str]) -> None:
        for lang in LOCALES:
            getattr(self, f"name_{lang}").data = names.get(lang, "")


class CategoryForm(NamesForm):
    parent_id = SelectField(_l("Under"), default="")

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_id.choices = choices({"": _l("— a top category —"), **dict(parents)})


class UnitForm(NamesForm):
    head_id = SelectField(_l("Head of the unit"), default="")

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.head_id.choices = choices({"": "—", **dict(staff)})


class MemberUnitForm(BaseForm):
    unit_id = SelectField(_l("Unit"), default="")

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_id.choices = choices({"": "—", **dict(units)})


class HolidayForm(BaseForm):
    day = LocalDateField(_l("Date"), validators=[DataRequired()])
    name = StringField(_l("Holiday name"), validators=[DataRequired(), Length(max=200)])


class ImportHolidaysForm(BaseForm):
    """A country and a year of the organization's calendar (Jalali for an Iranian organization), any digits."""

    country = SelectField(_l("Country"))
    year = CodeField(_l("Year"), validators=[DataRequired(_l("Enter a year."))], render_kw={"inputmode": "numeric"})

    def __init__(self, *args, example_year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = choices({"IR": _l("Iran"), "KZ": _l("Kazakhstan")})
        self.example_year = example_year

    def validate_year(self, field):
        if self.year_value() is None:
            example = ungrouped(self.example_year)
            raise ValidationError(_l("Enter a year in digits, such as %(example)s.", example=example))

    def year_value(self) -> int | None:
        text = (self.year.data or "").strip()
        return int(text) if len(text) == 4 and text.isascii() and text.isdigit() else None


class RegionForm(BaseForm):
    country = SelectField(_l("Country"))
    currency = SelectField(_l("Currency of compensation"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = choices({"IR": _l("Iran"), "KZ": _l("Kazakhstan")})
        self.currency.choices = choices(
            {"IRR": _l("Iranian rial (IRR)"), "IRT": _l("Iranian toman (IRT)"), "KZT": _l("Kazakh tenge (KZT)")}
        )


UNIT_CHOICES = {"working_hours": _l("working hours"), "calendar_days": _l("calendar days")}


class RuleForm(BaseForm):
    """A deadline rule: the three stages, each an amount and a unit, and the legal deadline."""

    priority = SelectField(_l("Priority"), default="")
    category_id = SelectField(_l("Category"), default="")
    acknowledge_amount = IntegerField(_l("Acknowledge within"), validators=[Optional(), NumberRange(min=1, max=8760)])
    acknowledge_unit = SelectField(_l("Counted in"))
    respond_amount = IntegerField(_l("Answer within"), validators=[Optional(), NumberRange(min=1, max=8760)])
    respond_unit = SelectField(_l("Counted in"))
    resolve_amount = IntegerField(_l("Resolve within"), validators=[Optional(), NumberRange(min=1, max=8760)])
    resolve_unit = SelectField(_l("Counted in"))
    legal_days = IntegerField(
        _l("Legal deadline (calendar days)"), validators=[Optional(), NumberRange(min=1, max=365)]
    )
    legal_basis = StringField(_l("The law that sets it"), validators=[Optional(), Length(max=500)])

    def __init__(self, *args, priorities=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.priority.choices = choices({"": _l("Any priority"), **dict(priorities)})
        self.category_id.choices = choices({"": _l("Any category"), **dict(categories)})
        for stage in ("acknowledge", "respond", "resolve"):
            getattr(self, f"{stage}_unit").choices = choices(UNIT_CHOICES)


class SecuritySettingsForm(BaseForm):
    two_factor_policy = SelectField(
        _l("Second factor"),
        validators=[DataRequired(_l("Choose a policy from the list."))],
    )
    two_factor_grace_days = IntegerField(
        _l("Days to set it up"),
        validators=[InputRequired(_l("Type a number of days.")), NumberRange(min=0, max=90)],
        description=_l("Those who have no second factor yet may work this many days before they must set one up."),
    )
    session_idle_hours = IntegerField(
        _l("End a session after this many hours without use"),
        validators=[InputRequired(_l("Type a number of hours.")), NumberRange(min=1, max=72)],
    )
    session_max_days = IntegerField(
        _l("End every session after this many days"),
        validators=[InputRequired(_l("Type a number of days.")), NumberRange(min=1, max=90)],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.two_factor_policy.choices = choices(
            {
                "off": _l("Each staff member chooses"),
                "admins": _l("Required for owners and administrators"),
                "all": _l("Required for all staff"),
            }
        )


class SsoForm(BaseForm):
    mode = SelectField(_l("Kind of provider"), validators=[DataRequired()])
    name = StringField(
        _l("Name on the log-in button"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("For example: Salamat Clinic account, or Microsoft"),
    )
    issuer = CodeField(
        _l("Issuer address"),
        validators=[Optional(), Length(max=500)],
        description=_l(
            "OpenID Connect: the address the provider names itself by, such as "
            "https://login.microsoftonline.com/TENANT-ID/v2.0 or https://accounts.google.com"
        ),
    )
    authorize_url = CodeField(_l("Authorization endpoint"), validators=[Optional(), Length(max=500)])
    token_url = CodeField(_l("Token endpoint"), validators=[Optional(), Length(max=500)])
    userinfo_url = CodeField(_l("User information endpoint"), validators=[Optional(), Length(max=500)])
    client_id = CodeField(_l("Client id"), validators=[DataRequired(), Length(max=300)])
    client_secret = PasswordField(
        _l("Client secret"),
        validators=[Optional(), Length(max=500)],
        description=_l("Kept encrypted. Leave it empty to keep the one saved."),
    )
    scopes = StringField(_l("Scopes"), validators=[Optional(), Length(max=300)])
    email_domains = StringField(
        _l("E-mail domains it serves"),
        validators=[Optional(), Length(max=500)],
        description=_l("Separated by commas, such as salamat.ir. Empty: any address the provider verified."),
    )
    create_staff = BooleanField(_l("People of these domains join the staff on their first sign-in"))
    default_role = SelectField(_l("Their role"), validators=[DataRequired()])
    trust_mfa = BooleanField(
        _l("Trust the provider's two-factor check"),
        description=_l("When its answer says a second factor was used, Dadras does not ask for its own."),
    )
    trust_email = BooleanField(
        _l("The provider holds only our own accounts: count its e-mail addresses as verified"),
        description=_l("For Microsoft Entra ID, which does not say whether an address was verified."),
    )
    sso_only = BooleanField(
        _l("Single sign-on only"),
        description=_l("Passwords stop working for everyone but the owners, who keep password and second factor."),
    )
    is_enabled = BooleanField(_l("Show the button on the log-in page"), default=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mode.choices = choices(
            {
                "oidc": _l("OpenID Connect (Keycloak, Microsoft Entra ID, Google Workspace …)"),
                "oauth2": _l("OAuth 2.0 with a user information endpoint (Yandex ID …)"),
            }
        )
        self.default_role.choices = choices({k: v for k, v in ROLE_NAMES.items() if k not in ("owner", "admin")})
