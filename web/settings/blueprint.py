"""The settings' blueprint, shared by its view modules."""

from __future__ import annotations

from flask import Blueprint

from web.tenancy import resolve_tenant

bp = Blueprint("settings", __name__, url_prefix="/<tenant_slug>/console/settings")
bp.url_value_preprocessor(resolve_tenant)
