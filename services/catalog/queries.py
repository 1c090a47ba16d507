"""Reading units and categories."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from services.catalog.models import Category, Unit
from tenants.db import db


@dataclass
class CategoryNode:
    category: Category
    children: list[Category] = field(default_factory=list)


def list_units() -> list[Unit]:
    """The tenant's units in their order."""
    return list(db.session.scalars(sa.select(Unit).order_by(Unit.position, Unit.id)))


def category_tree() -> list[CategoryNode]:
    """Top categories with their children, in one query."""
    rows = db.session.scalars(sa.select(Category).order_by(Category.position, Category.id)).all()
    nodes = {c.id: CategoryNode(c) for c in rows if c.parent_id is None}
    for c in rows:
        if c.parent_id is not None and c.parent_id in nodes:
            nodes[c.parent_id].children.append(c)
    return list(nodes.values())
