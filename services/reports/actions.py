"""Corrective actions (ISO 10002 8.7): the register across all complaints received in the period — by state,
owner and unit — the share closed on time, the share verified effective, and whether complaints of the same
root cause (or category) in the same unit came back after an action was done."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.catalog.models import Unit
from services.complaints.models import ActionStatus, Complaint, CorrectiveAction
from services.complaints.words import ACTION_STATUS_NAMES
from services.reports.tables import Cell, Report, Row, Scope, Table, names_of
from tenants.db import db
from tenants.models import StaffMember

AFTER_DAYS = 90
SHOWN = 50


def _group(s: Scope, key: Any) -> list[tuple[Any, int]]:
    """Complaints received in the period with an action, by `key` of the action (each complaint once per value)."""
    rows = db.session.execute(
        sa.select(key, sa.func.count(sa.distinct(Complaint.id)))
        .join(Complaint, Complaint.id == CorrectiveAction.complaint_id)
        .where(*s.where(s.received))
        .group_by(key)
    ).all()
    return sorted(((k, int(n)) for k, n in rows), key=lambda r: (-r[1], str(r[0])))


def _register(s: Scope) -> tuple[Table, dict[str, int]]:
    f = s.received
    statuses = [a.value for a in ActionStatus]
    filters = {status: f.but(action=status) for status in statuses}
    filters |= {"any": f.but(action="any"), "overdue": f.but(action_overdue=True)}
    filters |= {"on_time": f.but(action="on_time"), "late": f.but(action="late")}
    n = s.count_each(filters)
    rows = [
        Row(ACTION_STATUS_NAMES[status], [Cell(n[status], filter=filters[status])], key=status) for status in statuses
    ]
    rows.append(Row(_l("Overdue now"), [Cell(n["overdue"], filter=filters["overdue"])], key="overdue"))
    rows.append(Row(_l("Done on time"), [Cell(n["on_time"], filter=filters["on_time"])], key="on_time"))
    rows.append(Row(_l("Done late"), [Cell(n["late"], filter=filters["late"])], key="late"))
    table = Table(
        "register",
        _l("The register"),
        _l(
            "Complaints received in the period with a corrective action, by the action's state (a complaint with "
            "two actions counts under each of their states). Overdue: not done by its due day. On time: done on "
            "or before its due day; actions done before their done day was recorded are in neither."
        ),
        [_l("Complaints")],
        rows,
    )
    return table, n


def _by(s: Scope, key: Any, model: type, field: str, words: dict[str, Any]) -> Table:
    found = _group(s, key)
    if model is StaffMember:
        names = dict(db.session.execute(sa.select(StaffMember.id, StaffMember.name)).all())
        kind = "text"
    else:
        names, kind = names_of(model, [k for k, _n in found]), "names"
    rows = [
        Row(
            names.get(k, "") if k is not None else words["none"],
            [Cell(n, filter=s.received.but(**{field: k}) if k is not None else None)],
            kind if k is not None else "text",
            key=str(k),
        )
        for k, n in found
    ]
    return Table(field, words["caption"], words["definition"], [_l("Complaints")], rows, chart=None)


def after_actions(s: Scope) -> Table:
    """For the actions done in the period (at most SHOWN, latest first): complaints of the same root cause — or,
    without one, the same category — in the same unit, in the AFTER_DAYS days before it was done and after."""
    start = s.base.but(tab="all")
    first = datetime.combine(s.period.first, time(), tzinfo=s.tz)
    end = datetime.combine(s.period.last + timedelta(days=1), time(), tzinfo=s.tz)
    query = (
        sa.select(CorrectiveAction, Complaint.category_id, Complaint.unit_id)
        .join(Complaint, Complaint.id == CorrectiveAction.complaint_id)
        .where(*s.where(start), CorrectiveAction.done_at >= first, CorrectiveAction.done_at < end)
        .order_by(CorrectiveAction.done_at.desc(), CorrectiveAction.id.desc())
        .limit(SHOWN * 4)
    )
    filters: dict[str, Any] = {}
    items = []
    for action, category_id, unit_id in db.session.execute(query).all():
        done = action.done_at.astimezone(s.tz).date()
        unit = action.unit_id or unit_id
        same = {"root_cause_id": action.root_cause_id} if action.root_cause_id else {"category_id": category_id}
        if unit is None or None in same.values():
            continue
        scope = start.but(unit_id=unit, **same)
        before = scope.but(received_from=done - timedelta(days=AFTER_DAYS), received_to=done - timedelta(days=1))
        after = scope.but(received_from=done, received_to=done + timedelta(days=AFTER_DAYS - 1))
        filters[f"b{action.id}"], filters[f"a{action.id}"] = before, after
        items.append(action)
        if len(items) >= SHOWN:
            break
    n = s.count_each(filters)
    rows = [
        Row(
            action.description[:120],
            [
                Cell(n[f"b{action.id}"], filter=filters[f"b{action.id}"]),
                Cell(n[f"a{action.id}"], filter=filters[f"a{action.id}"]),
            ],
            key=str(action.id),
        )
        for action in items
    ]
    return Table(
        "after_actions",
        _l("Recurrence after an action"),
        _l(
            "For each action done in the period (the latest fifty): the complaints of the same root cause — or, "
            "for an action without one, the same category — in the same unit, received in the 90 days before it "
            "was done and in the 90 days from then. Fewer after than before is what an effective action looks like."
        ),
        [_l("90 days before"), _l("90 days after")],
        rows,
        chart=None,
    )


def actions(s: Scope) -> Report:
    register, n = _register(s)
    verified = n[ActionStatus.VERIFIED_EFFECTIVE.value] + n[ActionStatus.VERIFIED_INEFFECTIVE.value]
    closed = n["on_time"] + n["late"]
    return Report(
        "actions",
        [
            register,
            _by(
                s,
                CorrectiveAction.owner_id,
                StaffMember,
                "action_owner",
                {
                    "none": _l("No owner"),
                    "caption": _l("By owner"),
                    "definition": _l(
                        "Complaints received in the period with a corrective action, by the action's owner."
                    ),
                },
            ),
            _by(
                s,
                CorrectiveAction.unit_id,
                Unit,
                "action_unit",
                {
                    "none": _l("No unit"),
                    "caption": _l("By unit"),
                    "definition": _l(
                        "Complaints received in the period with a corrective action, by the unit the action is "
                        "assigned to."
                    ),
                },
            ),
            after_actions(s),
        ],
        headline=[
            (_l("Closed on time"), Cell(n["on_time"] / closed if closed else None, "share")),
            (
                _l("Verified effective"),
                Cell(n[ActionStatus.VERIFIED_EFFECTIVE.value] / verified if verified else None, "share"),
            ),
            (_l("Overdue now"), Cell(n["overdue"], filter=s.received.but(action_overdue=True))),
        ],
    )
