"""Log-in, invitation and password-reset forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo

from web.forms import BaseForm, CodeField, Length, PasswordPolicy


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    next = HiddenField()


class NewPasswordMixin(PasswordPolicy):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
    password_again = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class AcceptInvitationForm(NewPasswordMixin, BaseForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(min=2, max=120)])

    def own_words(self) -> tuple[str, ...]:
        return (self.name.data or "",)


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])


class ResetPasswordForm(NewPasswordMixin, BaseForm):
    pass


class SecondFactorForm(BaseForm):
    code = CodeField(_l("Code from your authenticator app"), validators=[DataRequired(), Length(max=20)])


class RecoveryCodeForm(BaseForm):
    recovery_code = CodeField(_l("Recovery code"), validators=[DataRequired(), Length(max=40)])
