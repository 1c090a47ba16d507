"""The base form: every text input goes through tenants.text.normalize_input."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, StringField, TextAreaField

from tenants.text import normalize_input


class BaseForm(FlaskForm):
    """A FlaskForm (with CSRF) whose text fields normalize digits, letters and white space."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                multiline = issubclass(field_class, TextAreaField)
                options["filters"] = [
                    lambda v, multiline=multiline: normalize_input(v, multiline),
                    *unbound_field.kwargs.get("filters", ()),
                ]
            return unbound_field.bind(form=form, **options)

    def add_errors(self, field: str | None, message: str) -> None:
        """Attach a service's refusal to the field it names, or to the form as a whole."""
        target = getattr(self, field, None) if field else None
        if target is not None:
            target.errors = [*target.errors, message]
        else:
            self.form_errors.append(message)


def choices(labels: dict[str, object]) -> list[SelectChoice]:
    """Select choices from value → label (labels may be lazy translations)."""
    return [SelectChoice(value, str(label)) for value, label in labels.items()]
