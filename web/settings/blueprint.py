"""The settings' blueprint, shared by its view modules."""

from __future__ import annotations

from tenants.roles import Permission
from web.tenancy import tenant_blueprint

# The staff pages declare MANAGE_STAFF for themselves (web/settings/views.py).
bp = tenant_blueprint("settings", __name__, "/<tenant_slug>/console/settings", access=Permission.MANAGE_SETTINGS)
