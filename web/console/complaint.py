"""The complaint page, /<slug>/console/complaints/<id>: its panels and forms, assignment, the lifecycle steps,
the decision, notes and messages, and files. Each change answers with the page, or its file region for htmx."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from typing import Any, ClassVar

from flask import g, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from services.calendar.deadlines import load_calendar
from services.complaints import lifecycle
from services.complaints.lifecycle import Action, DecisionInput, available
from services.complaints.models import Complaint, CorrectiveAction
from services.complaints.operations import (
    add_note,
    assign,
    attach_file,
    get_attachment,
    message_customer,
)
from services.complaints.queries import (
    complaint_file,
    is_near_due,
    is_overdue,
)
from services.notifications import delivery
from services.tracking import format_code
from tenants.db import utcnow
from tenants.errors import Refused, StaleEdit
from web.common.views import error_page, redirect_after_change, render_block, send_attachment, wants_fragment
from web.console.blueprint import bp
from web.console.forms import (
    ActionForm,
    ActionStatusForm,
    AssignForm,
    DecisionForm,
    EditActionForm,
    FileForm,
    NoteForm,
    StepForm,
    VersionedForm,
    optional_id,
)
from web.console.options import (
    cause_label,
    check_files,
    keeping,
    select_options,
    staff_label,
    stale_message,
    storage,
    uploads,
)
from web.tenancy import STAFF, access


# Several forms share one page: each has its own prefix, so ids and names never collide.
def _assign_form(options, **kwargs) -> AssignForm:
    return AssignForm(prefix="assign", units=options["units"], staff=options["staff"], **kwargs)


def action_form(options, **kwargs) -> ActionForm:
    return ActionForm(
        prefix="action", causes=options["causes"], staff=options["staff"], units=options["units"], **kwargs
    )


def edit_action_form(options, action: CorrectiveAction | None, action_id: int, **kwargs) -> EditActionForm:
    """The edit form of one action; its owner and root cause stay choosable even if retired since."""
    causes, staff = options["causes"], options["staff"]
    if action is not None:
        causes = keeping(causes, action.root_cause_id, cause_label)
        staff = keeping(staff, action.owner_id, staff_label)
    return EditActionForm(prefix=f"edit-{action_id}", causes=causes, staff=staff, units=options["units"], **kwargs)


class PanelForms(Mapping):
    """The page's forms by panel, each built when its panel is drawn (a panel the staff member may not use is
    never drawn, so its form is never built), and the select lists queried once, only if a drawn form needs
    them. A form that was refused keeps what was typed, carried on the complaint as it is now."""

    def __init__(self, data, refused: dict[str, Any]) -> None:
        self._data = data
        self._built: dict[str, Any] = {}
        self._refused = refused

    @cached_property
    def _options(self) -> dict[str, list[tuple[str, str]]]:
        return select_options()

    def __getitem__(self, key: str) -> Any:
        if key not in self._built:
            self._built[key] = self._refused.get(key) or self._fresh(key)
            self._carry_version(key, self._built[key])
        return self._built[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built)

    def __len__(self) -> int:
        return len(self._built)

    def _action(self, key: str) -> CorrectiveAction:
        action_id = int(key.partition("_")[2])
        found = next((a for a in self._data.actions if a.id == action_id), None)
        if found is None:
            raise KeyError(key)
        return found

    def _carry_version(self, key: str, form: Any) -> None:
        if isinstance(form, VersionedForm):
            kind = key.partition("_")[0]
            versioned = self._action(key) if kind in ("status", "edit") else self._data.complaint
            form.version.data = str(versioned.version)

    def _fresh(self, key: str) -> Any:
        kind, _sep, rest = key.partition("_")
        build = self._BUILDERS.get(kind)
        if build is None:
            raise KeyError(key)
        return build(self, key, rest)

    def _new_assign(self, _key: str, _rest: str) -> AssignForm:
        c: Complaint = self._data.complaint
        form = _assign_form(self._options, formdata=None)
        form.unit_id.data, form.handler_id.data = str(c.unit_id or ""), str(c.handler_id or "")
        return form

    def _new_decision(self, _key: str, _rest: str) -> DecisionForm:
        form = DecisionForm(formdata=None, prefix="decision")
        if (d := self._data.decision) is not None:
            form.justified.data = "yes" if d.justified else "no"
            form.reasons.data, form.legal_grounds.data = d.reasons, d.legal_grounds
            form.remedy.data, form.compensation_amount.data = d.remedy, d.compensation_amount
        return form

    def _new_action(self, _key: str, _rest: str) -> ActionForm:
        return action_form(self._options, formdata=None)

    def _new_note(self, _key: str, _rest: str) -> NoteForm:
        return NoteForm(formdata=None, prefix="note")

    def _new_file(self, _key: str, _rest: str) -> FileForm:
        return FileForm(formdata=None, prefix="file")

    def _new_step(self, key: str, step: str) -> StepForm:
        if step not in {s.value for s in STEPS}:
            raise KeyError(key)
        return StepForm(formdata=None)

    def _new_status(self, key: str, _rest: str) -> ActionStatusForm:
        self._action(key)
        return ActionStatusForm(formdata=None)

    def _new_edit(self, key: str, _rest: str) -> EditActionForm:
        action = self._action(key)
        form = edit_action_form(self._options, action, action.id, formdata=None)
        form.description.data, form.root_cause_text.data = action.description, action.root_cause_text
        form.root_cause_id.data = str(action.root_cause_id or "")
        form.owner_id.data, form.unit_id.data = str(action.owner_id or ""), str(action.unit_id or "")
        form.due_on.process_data(action.due_on)
        return form

    # The panels by the first part of their key: "step_respond", "status_12" and "edit_12" name one of several.
    _BUILDERS: ClassVar[dict[str, Callable[..., Any]]] = {
        "assign": _new_assign,
        "decision": _new_decision,
        "action": _new_action,
        "note": _new_note,
        "file": _new_file,
        "step": _new_step,
        "status": _new_status,
        "edit": _new_edit,
    }


def render_file(status: int = 200, *, error: str | None = None, panel: str | None = None, **forms):
    """The complaint page, or only its file region for htmx; `forms` keep what was typed after a refusal."""
    data = complaint_file(current_user, g.complaint.id)
    calendar = load_calendar(g.tenant)
    now = utcnow()
    c = data.complaint
    context = {
        "data": data,
        "c": c,
        "forms": PanelForms(data, forms),
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


def refused(exc: Refused, panel: str, **forms):
    """A refusal shown in the panel it concerns, with the typed input kept."""
    message = str(exc.message)
    if isinstance(exc, StaleEdit):
        message = stale_message(exc)
    if exc.status == 404:
        return error_page(404, message)
    for form in forms.values():
        if exc.field and hasattr(form, exc.field):
            form.add_errors(exc.field, message)
    return render_file(exc.status, error=message, panel=panel, **forms)


def changed():
    if wants_fragment():
        return render_file()
    return redirect_after_change(url_for("console.complaint_detail", complaint_id=g.complaint.id))


@bp.get("/complaints/<int:complaint_id>")
@access(STAFF)  # a reading page: whoever sees complaints, an auditor too
def complaint_detail():
    """The complaint file: header, complainant, the allowed steps, decision, actions, files, timeline."""
    return render_file()


@bp.post("/complaints/<int:complaint_id>/assign")
def assign_view():
    """Assign to a unit and a handler."""
    form = _assign_form(select_options())
    if not form.validate_on_submit():
        return render_file(422, error=_("Choose a unit or a handler from the list."), panel="assign", assign=form)
    try:
        assign(
            current_user,
            g.complaint.id,
            optional_id(form.unit_id.data),
            optional_id(form.handler_id.data),
            form.expected_version(),
        )
    except Refused as exc:
        return refused(exc, "assign", assign=form)
    return changed()


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
def step(step: str):
    """Take one lifecycle step: acknowledge, investigate, approve, respond, close, reopen, withdraw, escalate."""
    action = next((a for a in STEPS if a.value == step), None)
    if action is None:
        return error_page(404)
    form = StepForm()
    if not form.validate_on_submit():
        return render_file(
            422, error=_("Check the text and try again."), panel=f"step_{step}", **{f"step_{step}": form}
        )
    text = form.body.data or ""
    try:
        _STEP_CALLS[action](current_user, g.complaint, text, form.expected_version())
    except Refused as exc:
        if exc.field in ("message", "reason"):
            exc.field = "body"
        return refused(exc, f"step_{step}", **{f"step_{step}": form})
    return changed()


@bp.post("/complaints/<int:complaint_id>/decision")
def decision():
    """Record or revise the decision of the current cycle."""
    form = DecisionForm(prefix="decision")
    if not form.validate_on_submit():
        return render_file(422, error=_("Correct the decision form."), panel="decision", decision=form)
    data = DecisionInput(
        justified=form.justified.data == "yes",
        reasons=form.reasons.data or "",
        legal_grounds=form.legal_grounds.data or None,
        remedy=form.remedy.data or None,
        compensation_amount=form.compensation_amount.data,
    )
    try:
        lifecycle.decide(current_user, g.tenant, g.complaint, data, form.expected_version())
    except Refused as exc:
        return refused(exc, "decision", decision=form)
    return changed()


@bp.post("/complaints/<int:complaint_id>/notes")
def note():
    """An internal note or a message to the customer."""
    form = NoteForm(prefix="note")
    if not form.validate_on_submit():
        return render_file(422, error=_("Write the text first."), panel="note", note=form)
    try:
        if form.audience.data == "message":
            message_customer(current_user, g.complaint.id, form.body.data)
        else:
            add_note(current_user, g.complaint.id, form.body.data)
    except Refused as exc:
        return refused(exc, "note", note=form)
    return changed()


@bp.post("/complaints/<int:complaint_id>/files")
def upload():
    """Add files to the complaint."""
    form = FileForm(prefix="file")
    if not form.validate_on_submit() or not uploads(form.files):
        return render_file(422, error=_("Choose a file to upload."), panel="files", file=form)
    try:
        for checked in check_files(form.files):
            attach_file(
                current_user, g.complaint, checked, storage(), customer_visible=bool(form.customer_visible.data)
            )
    except Refused as exc:
        return refused(exc, "files", file=form)
    return changed()


@bp.get("/complaints/<int:complaint_id>/files/<int:attachment_id>")
@access(STAFF)  # a reading page: whoever sees complaints, an auditor too
def download(attachment_id: int):
    """A file, as a download, to those who may see the complaint."""
    attachment = get_attachment(current_user, g.complaint.id, attachment_id)
    return send_attachment(attachment)
