"""Corrective actions on the complaint page: planned, corrected, moved on, and their evidence."""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _
from flask_login import current_user

from services.complaints import actions as corrective
from services.complaints import lifecycle
from services.complaints.lifecycle import Action
from services.complaints.operations import (
    attach_file,
)
from tenants.errors import Refused
from web.console.blueprint import bp
from web.console.complaint import action_form, changed, edit_action_form, refused, render_file
from web.console.forms import (
    ActionForm,
    ActionStatusForm,
    FileForm,
    optional_id,
)
from web.console.options import (
    check_files,
    select_options,
    storage,
    uploads,
)


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
def add_action_view():
    """Plan a corrective action."""
    form = action_form(select_options())
    if not form.validate_on_submit():
        return render_file(422, error=_("Correct the action form."), panel="actions", action=form)
    data = _action_input(form)
    try:
        corrective.add_action(current_user, g.complaint.id, data)
    except Refused as exc:
        return refused(exc, "actions", action=form)
    return changed()


@bp.post("/complaints/<int:complaint_id>/actions/<int:action_id>/edit")
def edit_action_view(action_id: int):
    """Correct a corrective action's plan: description, root cause, owner, unit, due date."""
    key = f"edit_{action_id}"
    action = corrective.get_action(current_user, g.complaint.id, action_id)
    form = edit_action_form(select_options(), action, action_id)
    if not form.validate_on_submit():
        return render_file(422, error=_("Correct the action form."), panel=key, **{key: form})
    data = _action_input(form)
    try:
        corrective.edit_action(current_user, g.complaint.id, action_id, data, form.expected_version())
    except Refused as exc:
        return refused(exc, key, **{key: form})
    return changed()


@bp.post("/complaints/<int:complaint_id>/actions/<int:action_id>/status")
def action_status(action_id: int):
    """Move a corrective action on."""
    form = ActionStatusForm()
    key = f"status_{action_id}"
    if not form.validate_on_submit():
        return render_file(422, error=_("Choose a status from the list."), panel=key, **{key: form})
    try:
        corrective.update_action_status(
            current_user,
            g.complaint.id,
            action_id,
            status=form.status.data,
            note=form.note.data,
            version=form.expected_version(),
        )
    except Refused as exc:
        return refused(exc, key, **{key: form})
    return changed()


@bp.post("/complaints/<int:complaint_id>/actions/<int:action_id>/files")
def upload_evidence(action_id: int):
    """Evidence for a corrective action: files kept on the complaint, linked to the action."""
    form = FileForm(prefix=f"evidence-{action_id}")
    panel = f"status_{action_id}"
    if not form.validate_on_submit() or not uploads(form.files):
        return render_file(422, error=_("Choose a file to upload."), panel=panel)
    try:
        lifecycle.check(g.complaint, current_user, Action.UPDATE_ACTION)
        for checked in check_files(form.files):
            attach_file(current_user, g.complaint, checked, storage(), action_id=action_id)
    except Refused as exc:
        return refused(exc, panel)
    return changed()
