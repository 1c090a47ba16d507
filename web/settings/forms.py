"""Settings forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField
from wtforms.validators import DataRequired, Email, Length

from web.common.views import ROLE_NAMES
from web.forms import BaseForm, choices


class InviteForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = choices(ROLE_NAMES)
        if not self.is_submitted():
            self.role.data = "agent"


class RoleForm(BaseForm):
    role = SelectField(_l("Role"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = choices(ROLE_NAMES)
