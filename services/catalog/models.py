"""Units and categories."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import Base, Json, TenantOwned


class Unit(TenantOwned, Base):
    """A department that complaints are assigned to; its head is a staff member."""

    __tablename__ = "units"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(60))
    names: Mapped[dict[str, str]] = mapped_column(Json)
    head_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)


class Category(TenantOwned, Base):
    """A complaint category; two levels: a top category and its children."""

    __tablename__ = "categories"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "key"),
        sa.Index("ix_categories_tenant_id_parent_id", "tenant_id", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(60))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id", ondelete="CASCADE"))
    names: Mapped[dict[str, str]] = mapped_column(Json)
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    children: Mapped[list[Category]] = relationship(order_by="Category.position", lazy="raise")


class RootCause(TenantOwned, Base):
    """A cause the organization names for what went wrong; corrective actions point at one."""

    __tablename__ = "root_causes"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(60))
    names: Mapped[dict[str, str]] = mapped_column(Json)
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
