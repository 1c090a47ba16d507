"""The complaint file: the registration record, decisions, corrective actions, files, the follow-up log and the
customer's rating of its handling."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, Json, TenantOwned, UTCDateTime, utcnow


class State(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    ACTION = "action"
    RESPONDED = "responded"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


OPEN_STATES = frozenset({State.RECEIVED, State.ACKNOWLEDGED, State.INVESTIGATING, State.ACTION, State.RESPONDED})
# The open states as SQL, in the order they are declared, for the partial index of open complaints.
OPEN_WHERE = "state IN ({})".format(", ".join(f"'{state.value}'" for state in State if state in OPEN_STATES))


class Kind(StrEnum):
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    COMPLIMENT = "compliment"


class IntakeChannel(StrEnum):
    """How a complaint arrived (Complaint.channel). Not how the customer wants to be reached
    (services.contacts.PreferredContact), how a notice leaves (Notice.channel, services/notifications/senders.py)
    or an organization's connection (services.connections)."""

    WEB = "web"
    PHONE = "phone"
    LETTER = "letter"
    IN_PERSON = "in_person"
    SUGGESTION_BOX = "suggestion_box"
    EMAIL = "email"
    SMS = "sms"
    MESSENGER = "messenger"
    API = "api"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ActionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    VERIFIED_EFFECTIVE = "verified_effective"
    VERIFIED_INEFFECTIVE = "verified_ineffective"
    DEFERRED = "deferred"


# An action in one of these no longer holds the complaint back from a response.
SETTLED_ACTION_STATUSES = frozenset({ActionStatus.DONE, ActionStatus.VERIFIED_EFFECTIVE, ActionStatus.DEFERRED})


class TrackingCode(TenantOwned, Base):
    """Every tracking code ever issued. Its primary key makes codes unique across tenants: the constraint is
    checked on all rows, whichever tenant's rows row-level security lets a transaction see.
    """

    __tablename__ = "tracking_codes"
    __table_args__ = (sa.Index("ix_tracking_codes_tenant_id", "tenant_id"),)

    code: Mapped[str] = mapped_column(sa.String(13), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Complaint(TenantOwned, Base):
    """One complaint, suggestion or compliment, from arrival to closing (the seed's form F-06-02-01)."""

    __tablename__ = "complaints"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "code"),
        sa.UniqueConstraint("tenant_id", "submission_key"),
        # The inbox's "all" tab in order, and the reports' periods of arrival: the columns they group and filter by
        # are in the index, so a year's figures are read from it alone.
        sa.Index(
            "ix_complaints_tenant_id_received_at_id",
            "tenant_id",
            "received_at",
            "id",
            postgresql_include=[
                "kind",
                "state",
                "channel",
                "priority",
                "category_id",
                "unit_id",
                "handler_id",
                "about_staff_id",
                "escalation_level",
                "reopen_count",
                "cycle",
                "acknowledge_due_at",
                "acknowledged_at",
                "respond_due_at",
                "responded_at",
                "resolve_due_at",
                "closed_at",
                "withdrawn_at",
                "acknowledge_hours",
                "respond_hours",
                "resolve_hours",
                "previous_received_at",
            ],
        ),
        # Covering the inbox's filters: the counts per tab come from the index alone.
        sa.Index(
            "ix_complaints_tenant_id_state_received_at_id",
            "tenant_id",
            "state",
            "received_at",
            "id",
            postgresql_include=[
                "priority",
                "channel",
                "category_id",
                "unit_id",
                "handler_id",
                "escalation_level",
                "safety",
                "next_due_at",
                "about_staff_id",
            ],
        ),
        sa.Index("ix_complaints_tenant_id_next_due_at", "tenant_id", "next_due_at"),
        # The escalation sweep's "no update for so long": open complaints only.
        sa.Index(
            "ix_complaints_open_updated_at",
            "tenant_id",
            "updated_at",
            postgresql_where=sa.text(OPEN_WHERE),
            sqlite_where=sa.text(OPEN_WHERE),
        ),
        sa.Index("ix_complaints_tenant_id_unit_id_received_at", "tenant_id", "unit_id", "received_at"),
        sa.Index("ix_complaints_tenant_id_handler_id", "tenant_id", "handler_id"),
        sa.Index("ix_complaints_tenant_id_phone", "tenant_id", "phone"),
        # The same complainant again (the recurrence report): by e-mail or national id as by phone.
        sa.Index("ix_complaints_tenant_id_email", "tenant_id", "email"),
        sa.Index("ix_complaints_tenant_id_national_id", "tenant_id", "national_id"),
        # What was closed in a period (the home page, the reports).
        sa.Index("ix_complaints_tenant_id_closed_at", "tenant_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(13))
    kind: Mapped[str] = mapped_column(sa.String(20), default=Kind.COMPLAINT.value)
    state: Mapped[str] = mapped_column(sa.String(20), default=State.RECEIVED.value)
    channel: Mapped[str] = mapped_column(sa.String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))

    complainant_name: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    national_id: Mapped[str | None] = mapped_column(sa.String(20))
    preferred_contact: Mapped[str | None] = mapped_column(sa.String(20))
    # A messenger chat the customer wrote from: "<provider>:<chat id>" (e.g. "telegram:12345").
    messenger_id: Mapped[str | None] = mapped_column(sa.String(80))
    preferred_locale: Mapped[str] = mapped_column(sa.String(5))
    representative_name: Mapped[str | None] = mapped_column(sa.String(200))
    representative_relation: Mapped[str | None] = mapped_column(sa.String(200))

    subject: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    remedy_sought: Mapped[str | None] = mapped_column(sa.Text)
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id", ondelete="SET NULL"))
    priority: Mapped[str] = mapped_column(sa.String(10), default=Priority.NORMAL.value)
    safety: Mapped[bool] = mapped_column(default=False)

    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    handler_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    # The staff member the complaint is about, if any: never its handler.
    about_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    escalation_level: Mapped[int] = mapped_column(default=0)
    # Each rejection by the customer reopens the complaint and starts a new cycle (the seed's 4-5).
    reopen_count: Mapped[int] = mapped_column(default=0)
    cycle: Mapped[int] = mapped_column(default=1)

    acknowledge_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    respond_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    legal_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The deadline the current state is working towards; none once closed or withdrawn.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_policy: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)

    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Working hours (the organization's calendar, as its deadlines count) from the start of the current cycle to
    # acknowledging, answering and resolving it: what the timeliness report's median and 90th percentile read.
    acknowledge_hours: Mapped[float | None] = mapped_column(sa.Float)
    respond_hours: Mapped[float | None] = mapped_column(sa.Float)
    resolve_hours: Mapped[float | None] = mapped_column(sa.Float)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the same complainant's previous complaint arrived (services.complaints.repeats): the recurrence
    # report's "the same customer again", which outlives the removal of the contacts it was found by.
    previous_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Kept as it is, personal data and all, whatever the retention time (a legal hold: a dispute, an inquiry).
    legal_hold: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # When the complainant's personal data was removed (services.records.retention): the figures stay.
    anonymized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Names, phone, e-mail, code, subject and text, normalized for search (Persian letters, Latin digits);
    # written, never read back, so it is not loaded with the row.
    search_text: Mapped[str] = mapped_column(sa.Text, default="", deferred=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)
    # The form's one-time key: a double click or a resent form finds this complaint instead of a second one.
    submission_key: Mapped[str | None] = mapped_column(sa.String(64))
    # The version of the tenant's form it was filed on, and the answers to the tenant's own fields.
    form_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("form_versions.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Decision(TenantOwned, Base):
    """The decision of one cycle: justified or not, why, on what grounds, what is offered, who approved."""

    __tablename__ = "decisions"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "complaint_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints.id", ondelete="CASCADE"))
    cycle: Mapped[int]
    justified: Mapped[bool]
    reasons: Mapped[str] = mapped_column(sa.Text)
    legal_grounds: Mapped[str | None] = mapped_column(sa.Text)
    remedy: Mapped[str | None] = mapped_column(sa.Text)
    # Whole units of the currency (rials, tomans or tenge): none of them is paid out in fractions.
    compensation_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CorrectiveAction(TenantOwned, Base):
    """A corrective action (the seed's procedure P-02): root cause, action, owner, due date, verification."""

    __tablename__ = "corrective_actions"
    __table_args__ = (sa.Index("ix_corrective_actions_tenant_id_complaint_id", "tenant_id", "complaint_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints.id", ondelete="CASCADE"))
    root_cause_id: Mapped[int | None] = mapped_column(sa.ForeignKey("root_causes.id", ondelete="SET NULL"))
    root_cause_text: Mapped[str | None] = mapped_column(sa.Text)
    description: Mapped[str] = mapped_column(sa.Text)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(30), default=ActionStatus.PLANNED.value)
    verification_note: Mapped[str | None] = mapped_column(sa.Text)
    # When it was last marked done (or verified without being marked done), for on-time closing and recurrence
    # after it; none for actions done before this was kept.
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deferred_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def is_settled(self) -> bool:
        return self.status in SETTLED_ACTION_STATUSES


class Attachment(TenantOwned, Base):
    """A file on a complaint or on one of its corrective actions (evidence), stored under a random key."""

    __tablename__ = "attachments"
    __table_args__ = (sa.Index("ix_attachments_tenant_id_complaint_id", "tenant_id", "complaint_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints.id", ondelete="CASCADE"))
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("corrective_actions.id", ondelete="SET NULL"))
    storage_key: Mapped[str] = mapped_column(sa.String(80))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    customer_visible: Mapped[bool] = mapped_column(default=False)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))


class ComplaintEvent(TenantOwned, Base):
    """One line of the follow-up log (the seed's form F-06-02-02). Append-only: never updated or deleted."""

    __tablename__ = "complaint_events"
    __table_args__ = (
        sa.Index("ix_complaint_events_tenant_id_complaint_id_id", "tenant_id", "complaint_id", "id"),
        # The steps the system took (closing for want of a reaction): the outcomes report's "accepted" reads them.
        sa.Index(
            "ix_complaint_events_system_transitions",
            "tenant_id",
            "complaint_id",
            postgresql_where=sa.text("kind = 'transition' AND actor_kind = 'system'"),
            sqlite_where=sa.text("kind = 'transition' AND actor_kind = 'system'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No cascade: a complaint with a log cannot be deleted, so neither can its log.
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "staff", "customer" or "system"; actor_id is the staff member when there is one.
    actor_kind: Mapped[str] = mapped_column(sa.String(10), default="staff")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    # What changed: {"field": [before, after], ...} or the transition's details.
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    body: Mapped[str | None] = mapped_column(sa.Text)
    customer_visible: Mapped[bool] = mapped_column(default=False)
    # Plain references: nothing the log points at is ever deleted, and the log itself cannot be updated.
    attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachments.id"))
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("corrective_actions.id"))


class SatisfactionRating(TenantOwned, Base):
    """The customer's rating of the handling after closing (ISO 10004): once per complaint."""

    __tablename__ = "satisfaction_ratings"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "complaint_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints.id"))
    score: Mapped[int] = mapped_column()
    comment: Mapped[str | None] = mapped_column(sa.Text)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
