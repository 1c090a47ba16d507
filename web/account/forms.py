"""The security page's forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Optional

from web.forms import BaseForm, CodeField, Length


class ConfirmForm(BaseForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    code = CodeField(
        _l("Code from your authenticator app, or a recovery code"), validators=[Optional(), Length(max=40)]
    )
    next = HiddenField()

    def __init__(self, *args, with_code: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.with_code = with_code
        if with_code:
            self.code.validators = [DataRequired(), Length(max=40)]


class TotpForm(BaseForm):
    code = CodeField(_l("The six-digit code the app shows"), validators=[DataRequired(), Length(max=20)])
    name = StringField(
        _l("A name for it (optional)"), validators=[Optional(), Length(max=60)], description=_l("For example: my phone")
    )


class PasskeyForm(BaseForm):
    passkey_name = StringField(
        _l("A name for the passkey"),
        validators=[Optional(), Length(max=60)],
        description=_l("For example: work laptop, or my phone"),
    )


class EmailForm(BaseForm):
    email = EmailField(_l("New e-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
