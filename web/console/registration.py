"""Registering a complaint on the customer's behalf, and correcting the registration record afterwards:
/<slug>/console/complaints/new and …/<id>/edit."""

from __future__ import annotations

from flask import flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from services.complaints import lifecycle
from services.complaints.filing import file_on_form
from services.complaints.lifecycle import Action
from services.complaints.models import Complaint
from services.complaints.operations import MAX_FILE_BYTES, edit_complaint
from services.complaints.registration import ComplaintInput
from services.files.checking import FileRejected, check_upload
from services.forms.schema import published
from services.tracking import format_code
from tenants.errors import Duplicate, Refused, StaleEdit
from web.common.views import redirect_after_change
from web.console.blueprint import bp
from web.console.forms import (
    ComplaintForm,
)
from web.console.options import (
    category_label,
    check_files,
    keeping,
    select_options,
    staff_label,
    stale_message,
    storage,
    tenant_tz,
)
from web.i18n import locale_code, localize_digits
from web.portal.forms import add_custom_fields


def _complaint_input(form: ComplaintForm) -> ComplaintInput:
    return ComplaintInput(
        kind=form.kind.data,
        channel=form.channel.data,
        received_at=form.received_at(tenant_tz()),
        complainant_name=form.complainant_name.data or "",
        phone=form.phone.data or None,
        email=form.email.data or None,
        national_id=form.national_id.data or None,
        preferred_contact=form.preferred_contact.data or None,
        preferred_locale=form.preferred_locale.data,
        representative_name=form.representative_name.data or None,
        representative_relation=form.representative_relation.data or None,
        subject=form.subject.data or "",
        description=form.description.data or "",
        remedy_sought=form.remedy_sought.data or None,
        category_id=form.int_or_none("category_id"),
        priority=form.priority.data,
        safety=bool(form.safety.data),
        about_staff_id=form.int_or_none("about_staff_id"),
        submission_key=form.submission_key.data or None,
    )


@bp.route("/complaints/new", methods=["GET", "POST"])
def register():
    """Register a complaint on the customer's behalf (phone, letter, in person, suggestion box …)."""
    options = select_options()
    version = published()
    form_class = add_custom_fields(ComplaintForm, version, locale_code(), audience="staff")
    form = form_class(categories=options["categories"], staff=options["staff"], default_locale=g.tenant.default_locale)
    if form.validate_on_submit():
        try:
            files = check_files(form.files)
            field_files = form.custom_file_groups(
                lambda f: check_upload(f.read(), f.filename, max_bytes=MAX_FILE_BYTES)
            )
            complaint = file_on_form(
                current_user,
                g.tenant,
                _complaint_input(form),
                values=form.custom_values(),
                files=files,
                storage=storage(),
                version=version,
                field_files=field_files,
            )
        except FileRejected as exc:
            form.files.errors = [str(exc.message)]
            return render_template("console/register.html", form=form), exc.status
        except Duplicate as exc:
            flash(str(exc.message), "info")
            return redirect_after_change(url_for("console.complaint_detail", complaint_id=exc.existing_id))
        except Refused as exc:
            form.refuse(exc, "received_on" if exc.field == "received_at" else None)
        else:
            flash(
                _(
                    "Complaint registered. Its tracking code is %(code)s.",
                    code=localize_digits(format_code(complaint.code)),
                ),
                "success",
            )
            return redirect_after_change(url_for("console.complaint_detail", complaint_id=complaint.id))
    return render_template("console/register.html", form=form), form.status


@bp.route("/complaints/<int:complaint_id>/edit", methods=["GET", "POST"])
def edit():
    """Correct the registration record."""
    complaint = g.complaint
    lifecycle.check(complaint, current_user, Action.EDIT)
    options = select_options()
    kwargs = {
        "categories": keeping(options["categories"], complaint.category_id, category_label),
        "staff": keeping(options["staff"], complaint.about_staff_id, staff_label),
    }
    if request.method == "GET":
        form = ComplaintForm(formdata=None, obj=_record_obj(complaint), **kwargs)
        return render_template("console/edit.html", form=form, c=complaint, format_code=format_code)
    form = ComplaintForm(**kwargs)
    if form.validate_on_submit():
        try:
            edit_complaint(current_user, g.tenant, g.complaint.id, _complaint_input(form), form.expected_version())
        except StaleEdit as exc:
            message = str(stale_message(exc))
            form.form_errors.append(message)
            return render_template("console/edit.html", form=form, c=complaint, format_code=format_code), 409
        except Refused as exc:
            form.refuse(exc)
        else:
            return redirect_after_change(url_for("console.complaint_detail", complaint_id=g.complaint.id))
    return render_template("console/edit.html", form=form, c=complaint, format_code=format_code), form.status


class _Record:
    """The complaint's values under the form's field names."""

    def __init__(self, c: Complaint) -> None:
        for name in ComplaintInput.__dataclass_fields__:
            setattr(self, name, getattr(c, name, None))
        self.category_id = str(c.category_id or "")
        self.about_staff_id = str(c.about_staff_id or "")
        self.preferred_contact = c.preferred_contact or ""
        self.version = str(c.version)
        self.received_on = None
        self.received_time = ""


def _record_obj(c: Complaint) -> _Record:
    return _Record(c)
