"""The inbox, registration and the complaint page: /<slug>/console/complaints/…"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from services.calendar.deadlines import load_calendar
from services.catalog.models import Category, RootCause, Unit
from services.complaints import actions as corrective
from services.complaints import lifecycle
from services.complaints.access import get_complaint, may_handle
from services.complaints.lifecycle import Action, DecisionInput, available
from services.complaints.models import Complaint, CorrectiveAction
from services.complaints.operations import (
    MAX_FILE_BYTES,
    add_note,
    assign,
    attach_file,
    edit_complaint,
    get_attachment,
    message_customer,
)
from services.complaints.queries import (
    complaint_file,
    is_near_due,
    is_overdue,
)
from services.complaints.registration import ComplaintInput, register_complaint
from services.files.checking import FileRejected, check_upload
from services.files.storage import storage_from_config
from services.forms.answers import record_answers
from services.forms.schema import published
from services.i18n import localized
from services.notifications import delivery
from services.tracking import format_code
from tenants.db import db, utcnow
from tenants.errors import Duplicate, Refused, StaleEdit
from tenants.models import StaffMember
from web.common.views import error_page, redirect_after_change, render_block, send_attachment, wants_fragment
from web.console.blueprint import bp
from web.console.forms import (
    ActionForm,
    ActionStatusForm,
    AssignForm,
    ComplaintForm,
    DecisionForm,
    EditActionForm,
    FileForm,
    NoteForm,
    StepForm,
    VersionedForm,
    optional_id,
)
from web.forms import category_choices
from web.i18n import format_when, locale_code, localize_digits
from web.portal.forms import add_custom_fields


def _tz() -> ZoneInfo:
    return ZoneInfo(g.tenant.timezone)


def _storage():
    return storage_from_config(current_app.config["UPLOAD_STORAGE"])


def select_options() -> dict[str, list[tuple[str, str]]]:
    """The select lists: categories (children under their parent), units, active staff, root causes."""
    locale = locale_code()
    categories = category_choices()
    units = [
        (str(u.id), localized(u.names, locale))
        for u in db.session.scalars(sa.select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.position, Unit.id))
    ]
    staff = [
        (str(m.id), m.name)
        for m in db.session.scalars(
            sa.select(StaffMember).where(StaffMember.is_active.is_(True)).order_by(StaffMember.name)
        )
    ]
    causes = [
        (str(r.id), localized(r.names, locale))
        for r in db.session.scalars(
            sa.select(RootCause).where(RootCause.is_active.is_(True)).order_by(RootCause.position, RootCause.id)
        )
    ]
    return {"categories": categories, "units": units, "staff": staff, "causes": causes}


# registration


def _complaint_input(form: ComplaintForm) -> ComplaintInput:
    return ComplaintInput(
        kind=form.kind.data,
        channel=form.channel.data,
        received_at=form.received_at(_tz()),
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


def _uploads(field) -> list[Any]:
    return [f for f in (field.data or []) if getattr(f, "filename", "")]


def _check_files(field) -> list[Any]:
    """Every uploaded file checked by its content; the first refusal raises FileRejected."""
    return [check_upload(f.read(), f.filename, max_bytes=MAX_FILE_BYTES) for f in _uploads(field)]


@bp.route("/complaints/new", methods=["GET", "POST"])
@login_required
def register():
    """Register a complaint on the customer's behalf (phone, letter, in person, suggestion box …)."""
    may_handle(current_user)
    options = select_options()
    form_class = add_custom_fields(ComplaintForm, published(), locale_code(), audience="staff")
    form = form_class(categories=options["categories"], staff=options["staff"], default_locale=g.tenant.default_locale)
    if form.validate_on_submit():
        try:
            checked = _check_files(form.files)
            checked += [check_upload(f.read(), f.filename, max_bytes=MAX_FILE_BYTES) for _k, f in form.custom_files()]
            complaint = register_complaint(current_user, g.tenant, _complaint_input(form))
            record_answers(g.tenant, complaint, form.custom_values(), audience="staff")
            for upload in checked:
                attach_file(current_user, complaint, upload, _storage())
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


# the complaint page


# Several forms share one page: each has its own prefix, so ids and names never collide.
def _assign_form(options, **kwargs) -> AssignForm:
    return AssignForm(prefix="assign", units=options["units"], staff=options["staff"], **kwargs)


def _action_form(options, **kwargs) -> ActionForm:
    return ActionForm(
        prefix="action", causes=options["causes"], staff=options["staff"], units=options["units"], **kwargs
    )


def _edit_action_form(options, action: CorrectiveAction | None, action_id: int, **kwargs) -> EditActionForm:
    """The edit form of one action; its owner and root cause stay choosable even if retired since."""
    causes, staff = options["causes"], options["staff"]
    if action is not None:
        causes = _keeping(causes, action.root_cause_id, _cause_label)
        staff = _keeping(staff, action.owner_id, _staff_label)
    return EditActionForm(prefix=f"edit-{action_id}", causes=causes, staff=staff, units=options["units"], **kwargs)


def _forms_for(data, overrides: dict[str, Any]) -> dict[str, Any]:
    c: Complaint = data.complaint
    options = select_options()
    version = str(c.version)
    forms: dict[str, Any] = {
        "assign": _assign_form(options, formdata=None, version=version),
        "decision": DecisionForm(formdata=None, prefix="decision", version=version),
        "action": _action_form(options, formdata=None),
        "note": NoteForm(formdata=None, prefix="note"),
        "file": FileForm(formdata=None, prefix="file"),
    }
    forms["assign"].unit_id.data = str(c.unit_id or "")
    forms["assign"].handler_id.data = str(c.handler_id or "")
    if data.decision is not None:
        d = data.decision
        forms["decision"].justified.data = "yes" if d.justified else "no"
        forms["decision"].reasons.data = d.reasons
        forms["decision"].legal_grounds.data = d.legal_grounds
        forms["decision"].remedy.data = d.remedy
        forms["decision"].compensation_amount.data = d.compensation_amount
    for step in STEPS:
        forms[f"step_{step.value}"] = StepForm(formdata=None, version=version)
    for action in data.actions:
        forms[f"status_{action.id}"] = ActionStatusForm(formdata=None, version=str(action.version))
        edit = _edit_action_form(options, action, action.id, formdata=None, version=str(action.version))
        edit.description.data, edit.root_cause_text.data = action.description, action.root_cause_text
        edit.root_cause_id.data = str(action.root_cause_id or "")
        edit.owner_id.data, edit.unit_id.data = str(action.owner_id or ""), str(action.unit_id or "")
        edit.due_on.process_data(action.due_on)
        forms[f"edit_{action.id}"] = edit
    forms.update(overrides)
    for form in forms.values():
        # After a refusal the typed text stays, carried on the complaint as it is now.
        if isinstance(form, VersionedForm):
            form.version.data = version
    for action in data.actions:
        for key in (f"status_{action.id}", f"edit_{action.id}"):
            forms[key].version.data = str(action.version)
    return forms


def _render_file(complaint_id: int, status: int = 200, *, error: str | None = None, panel: str | None = None, **forms):
    """The complaint page, or only its file region for htmx; `forms` keep what was typed after a refusal."""
    try:
        data = complaint_file(current_user, complaint_id)
    except Refused as exc:
        return error_page(exc.status, str(exc.message))
    calendar = load_calendar(g.tenant)
    now = utcnow()
    c = data.complaint
    context = {
        "data": data,
        "c": c,
        "forms": _forms_for(data, forms),
        "allowed": available(c, current_user),
        "error": error,
        "error_panel": panel,
        "now": now,
        "format_code": format_code,
        "left": (calendar.between(now, c.next_due_at) if c.next_due_at else None),
        "overdue": is_overdue(c, now),
        "near_due": is_near_due(c, now),
        "currency": g.tenant.currency,
        "second_person": g.tenant.second_approval,
        "not_told": delivery.not_told(c.id),
    }
    if wants_fragment():
        return render_block("console/complaint.html", "file", **context), status
    return render_template("console/complaint.html", **context), status


def _refused(complaint_id: int, exc: Refused, panel: str, **forms):
    """A refusal shown in the panel it concerns, with the typed input kept."""
    message = str(exc.message)
    if isinstance(exc, StaleEdit):
        message = _refused_message(exc)
    if exc.status == 404:
        return error_page(404, message)
    for form in forms.values():
        if exc.field and hasattr(form, exc.field):
            form.add_errors(exc.field, message)
    return _render_file(complaint_id, exc.status, error=message, panel=panel, **forms)


def _changed(complaint_id: int):
    if wants_fragment():
        return _render_file(complaint_id)
    return redirect_after_change(url_for("console.complaint_detail", complaint_id=complaint_id))


@bp.get("/complaints/<int:complaint_id>")
@login_required
def complaint_detail(complaint_id: int):
    """The complaint file: header, complainant, the allowed steps, decision, actions, files, timeline."""
    return _render_file(complaint_id)


@bp.route("/complaints/<int:complaint_id>/edit", methods=["GET", "POST"])
@login_required
def edit(complaint_id: int):
    """Correct the registration record."""
    try:
        complaint = get_complaint(current_user, complaint_id)
        lifecycle.check(complaint, current_user, Action.EDIT)
    except Refused as exc:
        return error_page(exc.status, str(exc.message))
    options = select_options()
    kwargs = {
        "categories": _keeping(options["categories"], complaint.category_id, _category_label),
        "staff": _keeping(options["staff"], complaint.about_staff_id, _staff_label),
    }
    if request.method == "GET":
        form = ComplaintForm(formdata=None, obj=_record_obj(complaint), **kwargs)
        return render_template("console/edit.html", form=form, c=complaint, format_code=format_code)
    form = ComplaintForm(**kwargs)
    if form.validate_on_submit():
        try:
            edit_complaint(current_user, g.tenant, complaint_id, _complaint_input(form), form.expected_version())
        except StaleEdit as exc:
            message = str(_refused_message(exc))
            form.form_errors.append(message)
            return render_template("console/edit.html", form=form, c=complaint, format_code=format_code), 409
        except Refused as exc:
            form.refuse(exc)
        else:
            return redirect_after_change(url_for("console.complaint_detail", complaint_id=complaint_id))
    return render_template("console/edit.html", form=form, c=complaint, format_code=format_code), form.status


def _keeping(options: list[tuple[str, str]], current: int | None, label) -> list[tuple[str, str]]:
    """`options` with the complaint's current value, even if it has since been retired, so an edit keeps it."""
    if current is None or any(value == str(current) for value, _text in options):
        return options
    return [*options, (str(current), label(current))]


def _category_label(category_id: int) -> str:
    category = db.session.get(Category, category_id)
    return localized(category.names, locale_code()) if category else str(category_id)


def _cause_label(cause_id: int) -> str:
    cause = db.session.get(RootCause, cause_id)
    return localized(cause.names, locale_code()) if cause else str(cause_id)


def _staff_label(member_id: int) -> str:
    member = db.session.get(StaffMember, member_id)
    return member.name if member else str(member_id)


def _refused_message(exc: StaleEdit) -> str:
    if exc.changed_by and exc.changed_at:
        return _(
            "%(name)s changed this complaint at %(time)s. Reload the page to see the change; "
            "nothing of yours was saved.",
            name=exc.changed_by,
            time=format_when(exc.changed_at),
        )
    return _("This complaint was changed after you opened it. Reload the page; nothing of yours was saved.")


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


@bp.post("/complaints/<int:complaint_id>/assign")
@login_required
def assign_view(complaint_id: int):
    """Assign to a unit and a handler."""
    form = _assign_form(select_options())
    if not form.validate_on_submit():
        return _render_file(
            complaint_id, 422, error=_("Choose a unit or a handler from the list."), panel="assign", assign=form
        )
    try:
        assign(
            current_user,
            complaint_id,
            optional_id(form.unit_id.data),
            optional_id(form.handler_id.data),
            form.expected_version(),
        )
    except Refused as exc:
        return _refused(complaint_id, exc, "assign", assign=form)
    return _changed(complaint_id)


_STEP_CALLS = {
    Action.ACKNOWLEDGE: lambda actor, c, _text, v: lifecycle.acknowledge(actor, c, v),
    Action.INVESTIGATE: lambda actor, c, _text, v: lifecycle.investigate(actor, c, v),
    Action.APPROVE: lambda actor, c, _text, v: lifecycle.approve(actor, c, v),
    Action.RESPOND: lifecycle.respond,
    Action.CLOSE: lifecycle.close,
    Action.REOPEN: lambda actor, c, text, v: lifecycle.reopen(actor, g.tenant, c, text, v),
    Action.WITHDRAW: lifecycle.withdraw,
    Action.ESCALATE: lifecycle.escalate,
}
STEPS = frozenset(_STEP_CALLS)


@bp.post("/complaints/<int:complaint_id>/steps/<step>")
@login_required
def step(complaint_id: int, step: str):
    """Take one lifecycle step: acknowledge, investigate, approve, respond, close, reopen, withdraw, escalate."""
    action = next((a for a in STEPS if a.value == step), None)
    if action is None:
        return error_page(404)
    form = StepForm()
    if not form.validate_on_submit():
        return _render_file(
            complaint_id, 422, error=_("Check the text and try again."), panel=f"step_{step}", **{f"step_{step}": form}
        )
    text = form.body.data or ""
    try:
        complaint = get_complaint(current_user, complaint_id)
        _STEP_CALLS[action](current_user, complaint, text, form.expected_version())
    except Refused as exc:
        if exc.field in ("message", "reason"):
            exc.field = "body"
        return _refused(complaint_id, exc, f"step_{step}", **{f"step_{step}": form})
    return _changed(complaint_id)


@bp.post("/complaints/<int:complaint_id>/decision")
@login_required
def decision(complaint_id: int):
    """Record or revise the decision of the current cycle."""
    form = DecisionForm(prefix="decision")
    if not form.validate_on_submit():
        return _render_file(complaint_id, 422, error=_("Correct the decision form."), panel="decision", decision=form)
    data = DecisionInput(
        justified=form.justified.data == "yes",
        reasons=form.reasons.data or "",
        legal_grounds=form.legal_grounds.data or None,
        remedy=form.remedy.data or None,
        compensation_amount=form.compensation_amount.data,
    )
    try:
        complaint = get_complaint(current_user, complaint_id)
        lifecycle.decide(current_user, g.tenant, complaint, data, form.expected_version())
    except Refused as exc:
        return _refused(complaint_id, exc, "decision", decision=form)
    return _changed(complaint_id)


def _action_input(form: ActionForm) -> corrective.ActionInput:
    return corrective.ActionInput(
        description=form.description.data or "",
        root_cause_id=optional_id(form.root_cause_id.data),
        root_cause_text=form.root_cause_text.data or None,
        owner_id=optional_id(form.owner_id.data),
        unit_id=optional_id(form.unit_id.data),
        due_on=form.due_on.date_value,
    )


@bp.post("/complaints/<int:complaint_id>/actions")
@login_required
def add_action_view(complaint_id: int):
    """Plan a corrective action."""
    form = _action_form(select_options())
    if not form.validate_on_submit():
        return _render_file(complaint_id, 422, error=_("Correct the action form."), panel="actions", action=form)
    data = _action_input(form)
    try:
        corrective.add_action(current_user, complaint_id, data)
    except Refused as exc:
        return _refused(complaint_id, exc, "actions", action=form)
    return _changed(complaint_id)


@bp.post("/complaints/<int:complaint_id>/actions/<int:action_id>/edit")
@login_required
def edit_action_view(complaint_id: int, action_id: int):
    """Correct a corrective action's plan: description, root cause, owner, unit, due date."""
    key = f"edit_{action_id}"
    try:
        action = corrective.get_action(current_user, complaint_id, action_id)
    except Refused as exc:
        return error_page(exc.status, str(exc.message))
    form = _edit_action_form(select_options(), action, action_id)
    if not form.validate_on_submit():
        return _render_file(complaint_id, 422, error=_("Correct the action form."), panel=key, **{key: form})
    data = _action_input(form)
    try:
        corrective.edit_action(current_user, complaint_id, action_id, data, form.expected_version())
    except Refused as exc:
        return _refused(complaint_id, exc, key, **{key: form})
    return _changed(complaint_id)


@bp.post("/complaints/<int:complaint_id>/actions/<int:action_id>/status")
@login_required
def action_status(complaint_id: int, action_id: int):
    """Move a corrective action on."""
    form = ActionStatusForm()
    key = f"status_{action_id}"
    if not form.validate_on_submit():
        return _render_file(complaint_id, 422, error=_("Choose a status from the list."), panel=key, **{key: form})
    try:
        corrective.update_action_status(
            current_user,
            complaint_id,
            action_id,
            status=form.status.data,
            note=form.note.data,
            version=form.expected_version(),
        )
    except Refused as exc:
        return _refused(complaint_id, exc, key, **{key: form})
    return _changed(complaint_id)


@bp.post("/complaints/<int:complaint_id>/notes")
@login_required
def note(complaint_id: int):
    """An internal note or a message to the customer."""
    form = NoteForm(prefix="note")
    if not form.validate_on_submit():
        return _render_file(complaint_id, 422, error=_("Write the text first."), panel="note", note=form)
    try:
        if form.audience.data == "message":
            message_customer(current_user, complaint_id, form.body.data)
        else:
            add_note(current_user, complaint_id, form.body.data)
    except Refused as exc:
        return _refused(complaint_id, exc, "note", note=form)
    return _changed(complaint_id)


@bp.post("/complaints/<int:complaint_id>/files")
@login_required
def upload(complaint_id: int):
    """Add files to the complaint."""
    form = FileForm(prefix="file")
    if not form.validate_on_submit() or not _uploads(form.files):
        return _render_file(complaint_id, 422, error=_("Choose a file to upload."), panel="files", file=form)
    try:
        complaint = get_complaint(current_user, complaint_id)
        for checked in _check_files(form.files):
            attach_file(current_user, complaint, checked, _storage(), customer_visible=bool(form.customer_visible.data))
    except FileRejected as exc:
        return _render_file(complaint_id, exc.status, error=str(exc.message), panel="files", file=form)
    except Refused as exc:
        return _refused(complaint_id, exc, "files", file=form)
    return _changed(complaint_id)


@bp.post("/complaints/<int:complaint_id>/actions/<int:action_id>/files")
@login_required
def upload_evidence(complaint_id: int, action_id: int):
    """Evidence for a corrective action: files kept on the complaint, linked to the action."""
    form = FileForm(prefix=f"evidence-{action_id}")
    panel = f"status_{action_id}"
    if not form.validate_on_submit() or not _uploads(form.files):
        return _render_file(complaint_id, 422, error=_("Choose a file to upload."), panel=panel)
    try:
        complaint = get_complaint(current_user, complaint_id)
        lifecycle.check(complaint, current_user, Action.UPDATE_ACTION)
        for checked in _check_files(form.files):
            attach_file(current_user, complaint, checked, _storage(), action_id=action_id)
    except FileRejected as exc:
        return _render_file(complaint_id, exc.status, error=str(exc.message), panel=panel)
    except Refused as exc:
        return _refused(complaint_id, exc, panel)
    return _changed(complaint_id)


@bp.get("/complaints/<int:complaint_id>/files/<int:attachment_id>")
@login_required
def download(complaint_id: int, attachment_id: int):
    """A file, as a download, to those who may see the complaint."""
    try:
        attachment = get_attachment(current_user, complaint_id, attachment_id)
    except Refused as exc:
        return error_page(exc.status, str(exc.message))
    return send_attachment(attachment)
