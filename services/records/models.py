"""How the organization keeps its records: the header of its two printed forms (codes, revision, approver), and
how long a closed complaint's personal data is kept."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, Json, TenantOwned, UTCDateTime, utcnow

# The seed procedure's own codes: the registration form and the follow-up form.
REGISTRATION_CODE = "F-06-02-01"
FOLLOW_UP_CODE = "F-06-02-02"


# Months a closed complaint keeps its complainant's personal data, unless the organization says otherwise.
RETENTION_MONTHS = 36


class RecordSettings(TenantOwned, Base):
    """The header of the registration form (F-06-02-01) and the follow-up form (F-06-02-02) as the organization's
    document control has them (their codes, the revision and its date, the title of who approved them), and how
    many months after closing a complaint's personal data is removed."""

    __tablename__ = "record_settings"
    __table_args__ = (sa.UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_code: Mapped[str] = mapped_column(sa.String(40), default=REGISTRATION_CODE)
    follow_up_code: Mapped[str] = mapped_column(sa.String(40), default=FOLLOW_UP_CODE)
    revision: Mapped[str] = mapped_column(sa.String(20), default="0")
    revision_date: Mapped[date | None] = mapped_column(sa.Date)
    approver_title: Mapped[str | None] = mapped_column(sa.String(120))
    retention_months: Mapped[int] = mapped_column(default=RETENTION_MONTHS)
    # The audit checklist's questions, one per line as the organization wrote them; None: the standard's default.
    audit_checklist: Mapped[list[str] | None] = mapped_column(Json)


class ReviewStatus:
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


REVIEW_STATUSES = (ReviewStatus.OPEN, ReviewStatus.DONE, ReviewStatus.DROPPED)


class ManagementReview(TenantOwned, Base):
    """A management review of the complaints-handling process (ISO 10002 8.6): the period it looked at, when it
    was held and who took part; its decisions follow."""

    __tablename__ = "management_reviews"
    __table_args__ = (sa.Index("ix_management_reviews_tenant_id_held_on", "tenant_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_first: Mapped[date] = mapped_column(sa.Date)
    period_last: Mapped[date] = mapped_column(sa.Date)
    held_on: Mapped[date] = mapped_column(sa.Date)
    attendees: Mapped[str] = mapped_column(sa.Text)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewDecision(TenantOwned, Base):
    """One decision of a management review: what, who sees to it, by when; followed up in the next review."""

    __tablename__ = "review_decisions"
    __table_args__ = (sa.Index("ix_review_decisions_tenant_id_review_id", "tenant_id", "review_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("management_reviews.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(sa.Text)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(20), default=ReviewStatus.OPEN)
    status_note: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditSample(TenantOwned, Base):
    """An audit of the handling (ISO 10002 8.5): a random sample of the complaints closed in a period, scored
    against the checklist as it stood when the sample was drawn."""

    __tablename__ = "audit_samples"
    __table_args__ = (sa.Index("ix_audit_samples_tenant_id_drawn_at", "tenant_id", "drawn_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_first: Mapped[date] = mapped_column(sa.Date)
    period_last: Mapped[date] = mapped_column(sa.Date)
    size_asked: Mapped[int]
    # [{"key": ..., "text": ...}]: the questions every complaint of the sample is scored on.
    checklist: Mapped[list[dict[str, str]]] = mapped_column(Json, default=list)
    drawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditItem(TenantOwned, Base):
    """One complaint of a sample: its answers to the checklist ("yes", "no", "na"), the auditor's note, and a
    finding with the corrective action it opened."""

    __tablename__ = "audit_items"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "sample_id", "complaint_id"),
        sa.Index("ix_audit_items_tenant_id_sample_id", "tenant_id", "sample_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("audit_samples.id", ondelete="CASCADE"))
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints.id", ondelete="CASCADE"))
    answers: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    note: Mapped[str | None] = mapped_column(sa.Text)
    finding: Mapped[str | None] = mapped_column(sa.Text)
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("corrective_actions.id", ondelete="SET NULL"))
    scored_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# What a subscription sends: the management-review pack, or one report, as PDF.
SUBSCRIBABLE = ("pack", "volume", "timeliness", "outcomes", "satisfaction", "recurrence", "actions")
FREQUENCIES = ("weekly", "monthly")


class ReportSubscription(TenantOwned, Base):
    """A staff member's standing order: the pack or a report for each past week or month, by e-mail."""

    __tablename__ = "report_subscriptions"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "staff_member_id", "what", "frequency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="CASCADE"))
    what: Mapped[str] = mapped_column(sa.String(20))
    frequency: Mapped[str] = mapped_column(sa.String(10))
    # The first day of the last period sent: the next one goes once the period after it has ended.
    last_period_first: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
