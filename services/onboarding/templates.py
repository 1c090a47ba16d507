"""Industry templates: data files applied to a new tenant. Later areas add their sections."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from services.catalog.models import Category, RootCause, Unit
from tenants.db import db
from tenants.models import INDUSTRIES


@cache
def load_template(industry: str) -> dict[str, Any]:
    """The template for `industry` as kept in services/onboarding/industries/."""
    if industry not in INDUSTRIES:
        raise ValueError(f"unknown industry {industry!r}")
    text = resources.files("services.onboarding").joinpath("industries", f"{industry}.json").read_text("utf-8")
    return json.loads(text)


@cache
def load_root_causes() -> list[dict[str, Any]]:
    """The root causes every organization starts with."""
    return json.loads(resources.files("services.onboarding").joinpath("root_causes.json").read_text("utf-8"))


def apply_template(industry: str) -> None:
    """Create the units, categories and root causes of `industry` for the tenant in scope."""
    template = load_template(industry)
    for position, cause in enumerate(load_root_causes()):
        db.session.add(RootCause(key=cause["key"], names=dict(cause["names"]), position=position))
    for position, unit in enumerate(template["units"]):
        db.session.add(Unit(key=unit["key"], names=dict(unit["names"]), position=position))
    for position, top in enumerate(template["categories"]):
        parent = Category(key=top["key"], names=dict(top["names"]), position=position)
        db.session.add(parent)
        db.session.flush()
        for child_position, child in enumerate(top.get("children", [])):
            db.session.add(
                Category(key=child["key"], names=dict(child["names"]), parent_id=parent.id, position=child_position)
            )
    db.session.flush()
