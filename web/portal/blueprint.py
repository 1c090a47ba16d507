"""The portal's blueprint and what its view modules share: the settings read once per request, the upload
storage, the limits, and the proof of being the complainant kept in this browser's session."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, g, session
from flask_babel import gettext as _

from services.complaints.models import Complaint
from services.files.storage import storage_from_config
from services.portal import settings as portal_settings
from services.portal.labels import CHANNEL_WORDS
from tenants import throttle
from web.common.views import error_page
from web.tenancy import PUBLIC, tenant_blueprint

bp = tenant_blueprint("portal", __name__, access=PUBLIC)

SESSION_KEY = "portal"
# How long a proof of being the complainant lasts in this browser.
PROOF_SECONDS = 2 * 3600


@bp.context_processor
def _portal_context() -> dict[str, Any]:
    tenant = g.get("tenant")
    if tenant is None:  # an unknown organization's address: the plain error page
        return {}
    return {"settings": current_settings(), "CHANNEL_WORDS": CHANNEL_WORDS}


def current_settings():
    """The portal's settings, read once per request."""
    if "portal_settings" not in g:
        g.portal_settings = portal_settings.snapshot(g.tenant)
    return g.portal_settings


def storage():
    return storage_from_config(current_app.config["UPLOAD_STORAGE"])


def limited(name: str, *identifiers: str) -> bool:
    """Count one request against the limit `name`; True when the limit was already reached."""
    return not throttle.hit(name, *identifiers)


def too_many():
    return error_page(429, _("Too many attempts. Wait a few minutes and try again."))


# Proof of being the complainant, kept in this browser's session


def proofs() -> dict[str, float]:
    return dict(session.get(SESSION_KEY, {}).get(str(g.tenant.id), {}))


def remember_proof(complaint_id: int) -> None:
    kept = {k: v for k, v in proofs().items() if v > time.time()}
    kept[str(complaint_id)] = time.time() + PROOF_SECONDS
    every = dict(session.get(SESSION_KEY, {}))
    every[str(g.tenant.id)] = kept
    session[SESSION_KEY] = every


def is_proven(complaint: Complaint) -> bool:
    return proofs().get(str(complaint.id), 0) > time.time()


# How to complain
