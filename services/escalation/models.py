"""Escalation rules (an ordered list per tenant), their firings, and when a deadline counts as near."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, Json, TenantOwned, UTCDateTime, utcnow

# What sets a rule off: the next deadline is near (within `minutes`), has passed by `minutes`, or the
# complaint has had no update for `minutes`.
TRIGGERS = ("due_near", "overdue", "idle")
# Which deadline a rule watches ("any": whichever the complaint works towards now).
DEADLINES = ("any", "acknowledge", "respond", "legal", "resolve")


class EscalationRule(TenantOwned, Base):
    """When (conditions and a trigger), then what (actions). Fires at most once per complaint, deadline and cycle."""

    __tablename__ = "escalation_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(120))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Conditions: an empty list means any.
    states: Mapped[list[str]] = mapped_column(Json, default=list)
    priorities: Mapped[list[str]] = mapped_column(Json, default=list)
    category_ids: Mapped[list[int]] = mapped_column(Json, default=list)
    channels: Mapped[list[str]] = mapped_column(Json, default=list)
    trigger: Mapped[str] = mapped_column(sa.String(20))
    deadline: Mapped[str] = mapped_column(sa.String(20), default="any")
    minutes: Mapped[int] = mapped_column(default=0)
    # Actions.
    notify_roles: Mapped[list[str]] = mapped_column(Json, default=list)
    notify_member_ids: Mapped[list[int]] = mapped_column(Json, default=list)
    notify_handler: Mapped[bool] = mapped_column(default=False)
    notify_unit_head: Mapped[bool] = mapped_column(default=False)
    notify_email: Mapped[str | None] = mapped_column(sa.String(254))
    raise_priority: Mapped[bool] = mapped_column(default=False)
    reassign_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    reassign_handler_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    raise_level: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def conditions(self) -> dict[str, Any]:
        return {
            "states": self.states,
            "priorities": self.priorities,
            "category_ids": self.category_ids,
            "channels": self.channels,
        }


class EscalationFiring(TenantOwned, Base):
    """A rule fired on a complaint for one deadline in one cycle: the guard against firing twice."""

    __tablename__ = "escalation_firings"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "rule_id", "complaint_id", "cycle", "deadline"),
        # The sweep reads each candidate's firings in its present cycle along with it.
        sa.Index("ix_escalation_firings_complaint_id_cycle", "complaint_id", "cycle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("escalation_rules.id", ondelete="CASCADE"))
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints.id"))
    cycle: Mapped[int]
    deadline: Mapped[str] = mapped_column(sa.String(20))
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
