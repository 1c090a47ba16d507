"""Tenant, staff member and staff invitation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, TenantOwned, UTCDateTime, utcnow
from tenants.roles import Role

log = logging.getLogger(__name__)

LOCALES = ("fa", "kk", "ru", "en")
INDUSTRIES = ("clinic", "beauty_salon", "supplier", "retail", "public_office", "other")
COUNTRIES = ("IR", "KZ")
# Iran's rial and toman (ten rials, the everyday unit) and Kazakhstan's tenge.
CURRENCIES = ("IRR", "IRT", "KZT")


class Tenant(Base):
    """An organization. The registry every request and job starts from; not itself tenant-owned."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    industry: Mapped[str] = mapped_column(sa.String(30))
    default_locale: Mapped[str] = mapped_column(sa.String(5))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    # Where the organization works: its phone numbers' region, its official holidays, its legal deadlines.
    country: Mapped[str] = mapped_column(sa.String(2), default="IR")
    currency: Mapped[str] = mapped_column(sa.String(3), default="IRR")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A decision is approved by someone other than whoever made it (a manager's own is not approved at once).
    second_approval: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Staff sessions end after this long without a request, and this long after log-in whatever happens.
    session_idle_minutes: Mapped[int] = mapped_column(default=480, server_default="480")
    session_max_hours: Mapped[int] = mapped_column(default=168, server_default="168")
    # Who must have a second factor ("off", "admins": owners and admins, "all"), and how many days those who
    # have none yet may still work without it, counted from when the policy was set (or they joined).
    two_factor_policy: Mapped[str] = mapped_column(sa.String(10), default="off", server_default="off")
    two_factor_grace_days: Mapped[int] = mapped_column(default=7, server_default="7")
    two_factor_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffMember(TenantOwned, Base):
    """One person's membership of one tenant's staff. A person on two tenants has two, kept apart."""

    __tablename__ = "staff_members"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "email"),
        sa.Index("ix_staff_members_tenant_id_role", "tenant_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20), default=Role.AGENT.value)
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    # A unit member works on their unit's complaints only.
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL", use_alter=True))
    # Bumped on password change and deactivation: every older session stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Flask-Login's user protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class StaffInvitation(TenantOwned, Base):
    """An e-mailed invitation to join a tenant's staff: signed, expiring, used once."""

    __tablename__ = "staff_invitations"
    __table_args__ = (sa.Index("ix_staff_invitations_tenant_id_email", "tenant_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    role: Mapped[str] = mapped_column(sa.String(20))
    nonce: Mapped[str] = mapped_column(sa.String(64))
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def active_tenants() -> list[Tenant]:
    """Every active organization, read in the platform scope: where a periodic job fans out over tenants."""
    from tenants.context import platform_scope
    from tenants.db import db

    with platform_scope():
        return list(db.session.scalars(sa.select(Tenant).where(Tenant.is_active.is_(True)).order_by(Tenant.id)))


def in_each_active_tenant(work: Callable[[], int], failure: str) -> int:
    """`work()` in every active organization's scope, each committed on its own: one that fails is rolled back,
    logged with `failure` and left for the next run. Returns the sum of what each returned (rows done)."""
    from tenants.context import tenant_scope
    from tenants.db import db

    done = 0
    for tenant in active_tenants():
        with tenant_scope(tenant.id):
            try:
                done += work()
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception(failure, extra={"tenant_id": tenant.id})
    return done


class Installation(Base):
    """This installation of the service: one row, its random id made at the first migration (and anew by
    `dadras restore`), so what it names outside (e-mails' Message-IDs) never repeats another installation's."""

    __tablename__ = "installation"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
