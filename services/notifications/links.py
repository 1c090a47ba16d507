"""The signed links in a customer's notices: whoever opens one is taken as the complainant until it expires."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from tenants.models import Tenant
from tenants.tokens import TokenExpired, TokenInvalid, make_token, read_token

if TYPE_CHECKING:
    from services.complaints.models import Complaint

LINK_PURPOSE = "customer-link"
LINK_LIFETIME = timedelta(days=60)


def link_token(complaint: Complaint) -> str:
    """A signed token for the links in the customer's notices: proof of being the complainant until it expires."""
    return make_token(LINK_PURPOSE, {"t": complaint.tenant_id, "c": complaint.id})


def complaint_id_from_link(tenant: Tenant, token: str) -> int | None:
    """The complaint a link's token was made for, if genuine, unexpired and this tenant's."""
    try:
        payload = read_token(LINK_PURPOSE, token, int(LINK_LIFETIME.total_seconds()))
    except (TokenExpired, TokenInvalid):
        return None
    if payload.get("t") != tenant.id or not isinstance(payload.get("c"), int):
        return None
    return payload["c"]
