"""What signing in leaves on the server: staff sessions, second factors, recovery codes and the security log.

A staff session is a row whose random key only the browser's cookie carries (the table keeps its SHA-256), so a
session ended here is over wherever its cookie was copied to. The organization's security log records every
sign-in, failure and change of a factor or a session, for its owners and admins to read and export.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, TenantOwned, UTCDateTime, utcnow


class StaffSession(TenantOwned, Base):
    """One browser's log-in of one staff member."""

    __tablename__ = "staff_sessions"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "key_hash"),
        sa.Index("ix_staff_sessions_tenant_id_staff_member_id", "tenant_id", "staff_member_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64))
    staff_member_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")
    # How the person proved who they are: "password", "sso"; and the second factor, once passed.
    method: Mapped[str] = mapped_column(sa.String(20), default="password")
    # A session waiting for its second factor reaches only the page that asks for it (and log-out).
    factor_required: Mapped[bool] = mapped_column(default=False)
    second_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    second_factor: Mapped[str | None] = mapped_column(sa.String(20))
    # The last time the password (and factor) were asked again, for changes of the factors themselves.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # New recovery codes, sealed, until the page that shows them once is drawn (never in the cookie).
    codes_sealed: Mapped[str | None] = mapped_column(sa.Text)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(sa.String(20))


class StaffFactor(TenantOwned, Base):
    """A second factor of a staff member: an authenticator app (TOTP) or a passkey (WebAuthn)."""

    __tablename__ = "staff_factors"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "credential_id"),
        sa.Index("ix_staff_factors_tenant_id_staff_member_id", "tenant_id", "staff_member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(10))  # "totp" or "passkey"
    name: Mapped[str] = mapped_column(sa.String(60), default="")
    # TOTP: the shared secret, sealed like the gateway credentials, and the last time step accepted (a code
    # is taken once).
    secret_sealed: Mapped[str | None] = mapped_column(sa.Text)
    last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Passkey: the credential's id and public key (base64url), its signature counter and transports.
    credential_id: Mapped[str | None] = mapped_column(sa.String(1400))
    public_key: Mapped[str | None] = mapped_column(sa.Text)
    sign_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    transports: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An authenticator app counts once its first code was typed; until then it is being set up.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(TenantOwned, Base):
    """One of a staff member's ten recovery codes: its SHA-256 only, usable once."""

    __tablename__ = "recovery_codes"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "staff_member_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SecurityEvent(TenantOwned, Base):
    """One line of the organization's security log."""

    __tablename__ = "security_events"
    __table_args__ = (
        sa.Index("ix_security_events_tenant_id_at", "tenant_id", "at"),
        sa.Index("ix_security_events_tenant_id_staff_member_id", "tenant_id", "staff_member_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(30))
    # Whose account it concerns, and who did it when that is someone else (an admin ending a session).
    staff_member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")
    detail: Mapped[str] = mapped_column(sa.String(300), default="")


class SsoProvider(TenantOwned, Base):
    """The organization's own identity provider: OpenID Connect found from its issuer, or plain OAuth 2.0 with a
    user-info endpoint (the Yandex ID kind)."""

    __tablename__ = "sso_providers"
    __table_args__ = (sa.UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(sa.String(10), default="oidc")  # "oidc" or "oauth2"
    name: Mapped[str] = mapped_column(sa.String(60))
    issuer: Mapped[str] = mapped_column(sa.String(500), default="")
    # The provider's endpoints and keys' address: read from its discovery document, or typed (plain OAuth 2.0).
    endpoints: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    client_id: Mapped[str] = mapped_column(sa.String(300))
    client_secret_sealed: Mapped[str] = mapped_column(sa.Text)
    scopes: Mapped[str] = mapped_column(sa.String(300), default="openid email profile")
    email_domains: Mapped[str] = mapped_column(sa.String(500), default="")
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # People of the allowed domains become staff on their first sign-in, with this role (never owner or admin).
    create_staff: Mapped[bool] = mapped_column(default=False)
    default_role: Mapped[str] = mapped_column(sa.String(20), default="agent")
    # The provider's own MFA, when its ID token says it was done, stands for Dadras's second factor.
    trust_mfa: Mapped[bool] = mapped_column(default=False)
    # The provider holds only the organization's own accounts: its addresses count as verified (Microsoft
    # Entra ID sends no email_verified).
    trust_email: Mapped[bool] = mapped_column(default=False)
    # Passwords stop working for everyone but the owners.
    sso_only: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SsoLink(TenantOwned, Base):
    """A staff member known to the identity provider by its subject (`sub`), never by e-mail alone."""

    __tablename__ = "sso_links"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "issuer", "subject"),
        sa.UniqueConstraint("tenant_id", "staff_member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="CASCADE"))
    issuer: Mapped[str] = mapped_column(sa.String(500))
    subject: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
