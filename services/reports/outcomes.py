"""Outcomes (ISO 10002 8.2, 8.4): how the complaints received in the period were decided, whether customers
accepted the answers, and how many were reopened, withdrawn or escalated."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from services.complaints.models import Complaint, Kind
from services.reports.tables import Cell, Report, Row, Scope, Table


def outcomes(s: Scope) -> Report:
    everything = s.received
    complaints = everything.but(kind=Kind.COMPLAINT.value)
    filters = {
        "received": complaints,
        "decided": complaints.but(justified="any"),
        "justified": complaints.but(justified="1"),
        "unjustified": complaints.but(justified="0"),
        "accepted": complaints.but(accepted=True),
        "rejected": complaints.but(reopened=True),
        "everything": everything,
        "withdrawn": everything.but(tab="withdrawn"),
        "escalated": complaints.but(escalated=True),
    }
    n = s.count_each(filters)
    reacted = n["accepted"] + n["rejected"]

    def row(key: str, words, whole: int) -> Row:
        return Row(
            words, [Cell(n[key], filter=filters[key]), Cell(n[key] / whole if whole else None, "share")], key=key
        )

    table = Table(
        "outcomes",
        _l("Outcomes"),
        _l(
            "Of the complaints received in the period (suggestions and compliments are not decided): decided is "
            "those whose current decision is recorded, and the justified rate is justified ÷ decided. Accepted: "
            "closed after the customer accepted the answer; rejected: the customer rejected an answer at least once "
            "(each rejection reopens the complaint); the acceptance rate is accepted ÷ (accepted + rejected). "
            "Withdrawn counts everything received, of every kind."
        ),
        [_l("Complaints"), _l("Rate")],
        [
            row("received", _l("Complaints received"), n["received"]),
            row("decided", _l("Decided"), n["received"]),
            row("justified", _l("Justified"), n["decided"]),
            row("unjustified", _l("Not justified"), n["decided"]),
            row("accepted", _l("Accepted by the customer"), reacted),
            row("rejected", _l("Rejected and reopened"), reacted),
            row("withdrawn", _l("Withdrawn"), n["everything"]),
            row("escalated", _l("Escalated"), n["received"]),
        ],
        chart=None,
    )
    levels = s.count_by(complaints.but(escalated=True), Complaint.escalation_level)
    by_level = Table(
        "escalation_levels",
        _l("Escalations by level"),
        _l("Complaints received in the period, by the highest escalation level each reached."),
        [_l("Complaints")],
        [
            Row(level, [Cell(count, filter=complaints.but(level=level))], "level", key=str(level))
            for level, count in sorted(levels.items())
        ],
    )
    rate = Cell(n["justified"] / n["decided"] if n["decided"] else None, "share")
    acceptance = Cell(n["accepted"] / reacted if reacted else None, "share")
    return Report(
        "outcomes",
        [table, by_level],
        headline=[(_l("Justified rate"), rate), (_l("Acceptance rate"), acceptance)],
    )
