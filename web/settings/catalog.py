"""Settings: categories (two levels), units with their heads, root causes; each staff member's unit."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from services.catalog import operations as catalog
from services.catalog.models import Category, RootCause, Unit
from services.i18n import localized
from tenants.db import db
from tenants.errors import Refused
from web.common.views import error_page, redirect_after_change
from web.console.forms import optional_id
from web.i18n import locale_code
from web.settings.blueprint import bp
from web.settings.forms import CategoryForm, NamesForm, UnitForm


@dataclass(frozen=True)
class Kind:
    model: type
    title: object
    add_label: object


KINDS = {
    "categories": Kind(Category, _l("Categories"), _l("Add a category")),
    "units": Kind(Unit, _l("Units"), _l("Add a unit")),
    "root-causes": Kind(RootCause, _l("Root causes"), _l("Add a root cause")),
}


def _staff_choices() -> list[tuple[str, str]]:
    return [(str(m.id), m.name) for m in catalog.unit_members()]


def _parents() -> list[tuple[str, str]]:
    rows = db.session.scalars(
        sa.select(Category).where(Category.parent_id.is_(None)).order_by(Category.position, Category.id)
    )
    return [(str(c.id), localized(c.names, locale_code())) for c in rows]


def _new_form(kind: str, formdata=None):
    """The add form; its prefix keeps its ids apart from the rows' forms."""
    if kind == "categories":
        return CategoryForm(formdata=formdata, prefix="new", parents=_parents())
    if kind == "units":
        return UnitForm(formdata=formdata, prefix="new", staff=_staff_choices())
    return NamesForm(formdata=formdata, prefix="new")


def _edit_form(kind: str, row_id: int, formdata=None, staff=None):
    """A row's rename form, prefixed with the row so that each row's ids are its own."""
    prefix = f"row-{row_id}"
    if kind == "units":
        return UnitForm(formdata=formdata, prefix=prefix, staff=_staff_choices() if staff is None else staff)
    return NamesForm(formdata=formdata, prefix=prefix)


def _rows(kind: str) -> list:
    model = KINDS[kind].model
    rows = list(db.session.scalars(sa.select(model).order_by(model.position, model.id)))
    if kind != "categories":
        return rows
    # Children right under their parent.
    tops = [r for r in rows if r.parent_id is None]
    ordered = []
    for top in tops:
        ordered.append(top)
        ordered += [r for r in rows if r.parent_id == top.id]
    return ordered


def _page(
    kind: str,
    status: int = 200,
    *,
    add_form=None,
    error: str | None = None,
    error_row: int | None = None,
    typed: dict[int, NamesForm] | None = None,
):
    """The list page; `typed` holds refused rows' forms as submitted, shown instead of the stored values."""
    rows = _rows(kind)
    staff = _staff_choices() if kind == "units" else None
    edit_forms = {}
    for row in rows:
        form = _edit_form(kind, row.id, staff=staff)
        form.fill(row.names)
        if kind == "units":
            form.head_id.data = str(row.head_id or "")
        edit_forms[row.id] = form
    edit_forms.update((row_id, form) for row_id, form in (typed or {}).items() if row_id in edit_forms)
    context = {
        "kind": kind,
        "meta": KINDS[kind],
        "rows": rows,
        "add_form": add_form or _new_form(kind),
        "edit_forms": edit_forms,
        "error": error,
        "error_row": error_row,
    }
    return render_template("settings/catalog.html", **context), status


def _kind_or_404(kind: str):
    if kind not in KINDS:
        return error_page(404)
    return None


@bp.get("/<any(categories, units, 'root-causes'):kind>")
def catalog_list(kind: str):
    """Categories, units or root causes, with forms to add, rename and retire."""
    return _kind_or_404(kind) or _page(kind)


@bp.post("/<any(categories, units, 'root-causes'):kind>")
def catalog_add(kind: str):
    """Add a category, unit or root cause."""
    if (refused := _kind_or_404(kind)) is not None:
        return refused
    form = _new_form(kind, request.form)
    if not form.validate_on_submit():
        return _page(kind, 422, add_form=form)
    try:
        if kind == "categories":
            catalog.add_category(current_user, form.names(), optional_id(form.parent_id.data))
        elif kind == "units":
            catalog.add_unit(current_user, form.names(), optional_id(form.head_id.data))
        else:
            catalog.add_root_cause(current_user, form.names())
    except Refused as exc:
        form.add_errors(exc.field, str(exc.message))
        return _page(kind, exc.status, add_form=form, error=str(exc.message))
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.catalog_list", kind=kind))


@bp.post("/<any(categories, units, 'root-causes'):kind>/<int:row_id>")
def catalog_edit(kind: str, row_id: int):
    """Rename an entry (and, for a unit, set its head)."""
    if (refused := _kind_or_404(kind)) is not None:
        return refused
    form = _edit_form(kind, row_id, request.form)
    if not form.validate_on_submit():
        error = _("Check the names: at most 200 characters each.")
        return _page(kind, 422, error=error, error_row=row_id, typed={row_id: form})
    try:
        catalog.rename(current_user, KINDS[kind].model, row_id, form.names())
        if kind == "units":
            catalog.set_unit_head(current_user, row_id, optional_id(form.head_id.data))
    except Refused as exc:
        if exc.status == 404:
            raise  # no such thing: the app's 404 page
        form.add_errors(exc.field, str(exc.message))
        return _page(kind, exc.status, error=str(exc.message), error_row=row_id, typed={row_id: form})
    flash(_("Saved."), "success")
    return redirect_after_change(url_for("settings.catalog_list", kind=kind))


@bp.post("/<any(categories, units, 'root-causes'):kind>/<int:row_id>/active")
def catalog_active(kind: str, row_id: int):
    """Retire an entry or bring it back; complaints that use it keep it."""
    if (refused := _kind_or_404(kind)) is not None:
        return refused
    catalog.set_active(current_user, KINDS[kind].model, row_id, request.form.get("active") == "1")
    return redirect_after_change(url_for("settings.catalog_list", kind=kind))
