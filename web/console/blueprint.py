"""The console's blueprint, shared by its view modules."""

from __future__ import annotations

from tenants.roles import Permission
from web.tenancy import tenant_blueprint

bp = tenant_blueprint("console", __name__, "/<tenant_slug>/console", access=Permission.HANDLE_COMPLAINTS)
