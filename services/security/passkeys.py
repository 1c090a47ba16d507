"""Passkeys (WebAuthn) as the second factor: the options a browser is given, and its answers checked.

The browser's part is the vendored @simplewebauthn/browser (web/static/passkeys.js calls it); the checks are the
`webauthn` package's. The caller keeps the challenge (in the session) between the two steps and passes the
relying party's id (the host name) and the page's origin, so nothing here reads the request.
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
import webauthn
from flask_babel import lazy_gettext as _l
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from services.security.factors import check_attempts, wrong_attempt
from tenants import throttle
from tenants.db import db, utcnow
from tenants.errors import Refused
from tenants.models import StaffMember, Tenant
from tenants.security import StaffFactor
from tenants.sessions import record_event
from tenants.text import normalize_text

MAX_PASSKEYS = 10


def _passkeys(member: StaffMember) -> list[StaffFactor]:
    return list(
        db.session.scalars(
            sa.select(StaffFactor).where(StaffFactor.staff_member_id == member.id, StaffFactor.kind == "passkey")
        )
    )


def _descriptors(member: StaffMember) -> list[PublicKeyCredentialDescriptor]:
    known = {t.value for t in AuthenticatorTransport}
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(factor.credential_id),
            transports=[AuthenticatorTransport(t) for t in factor.transports.split(",") if t in known] or None,
        )
        for factor in _passkeys(member)
    ]


def registration_options(member: StaffMember, tenant: Tenant, rp_id: str) -> tuple[str, bytes]:
    """What the browser needs to make a new passkey for `member` (as JSON), and the challenge to keep."""
    if len(_passkeys(member)) >= MAX_PASSKEYS:
        raise Refused(_l("You have as many passkeys as you may. Remove one you no longer use first."))
    options = webauthn.generate_registration_options(
        rp_id=rp_id,
        rp_name=f"Dadras · {tenant.name}",
        user_id=f"dadras:{tenant.id}:{member.id}".encode(),
        user_name=member.email,
        user_display_name=member.name,
        exclude_credentials=_descriptors(member),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED
        ),
    )
    return webauthn.options_to_json(options), options.challenge


def _credential(answer: str) -> dict:
    try:
        credential = json.loads(answer)
    except (TypeError, ValueError) as exc:
        raise Refused(_l("The browser's answer could not be read. Try again.")) from exc
    if not isinstance(credential, dict):
        raise Refused(_l("The browser's answer could not be read. Try again."))
    return credential


def add_passkey(
    member: StaffMember, name: str, answer: str, challenge: bytes, *, rp_id: str, origin: str
) -> StaffFactor:
    """Keep the passkey the browser made, once its answer checks out against the challenge."""
    try:
        verified = webauthn.verify_registration_response(
            credential=_credential(answer), expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin
        )
    except (WebAuthnException, KeyError, TypeError, ValueError) as exc:
        raise Refused(_l("This passkey could not be checked. Try again, or use another one.")) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalar(sa.select(StaffFactor.id).where(StaffFactor.credential_id == credential_id)) is not None:
        raise Refused(_l("This passkey is already added."))
    response = _credential(answer).get("response")
    transports = response.get("transports") if isinstance(response, dict) else None
    transports = transports if isinstance(transports, list) else []
    now = utcnow()
    factor = StaffFactor(
        staff_member_id=member.id,
        kind="passkey",
        name=(normalize_text(name if isinstance(name, str) else "") or "")[:60] or str(_l("Passkey")),
        credential_id=credential_id,
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        transports=",".join(t for t in transports if isinstance(t, str) and t.isascii() and t.isalnum())[:120],
        confirmed_at=now,
    )
    db.session.add(factor)
    record_event("factor_added", member, detail="passkey")
    db.session.flush()
    return factor


def authentication_options(member: StaffMember, rp_id: str) -> tuple[str, bytes]:
    """What the browser needs to sign in with one of `member`'s passkeys (as JSON), and the challenge to keep."""
    options = webauthn.generate_authentication_options(
        rp_id=rp_id, allow_credentials=_descriptors(member), user_verification=UserVerificationRequirement.PREFERRED
    )
    return webauthn.options_to_json(options), options.challenge


def verify_passkey(member: StaffMember, answer: str, challenge: bytes, *, rp_id: str, origin: str) -> StaffFactor:
    """The passkey the browser signed with is one of `member`'s and its signature is right; raises Refused."""
    check_attempts(member)
    credential = _credential(answer)
    credential_id = credential.get("id")
    # A credential's id is base64url: anything else (a NUL, which PostgreSQL refuses in text) is no passkey.
    if not isinstance(credential_id, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,1400}", credential_id):
        raise wrong_attempt(member, "passkey")
    factor = db.session.scalar(
        sa.select(StaffFactor).where(
            StaffFactor.staff_member_id == member.id,
            StaffFactor.kind == "passkey",
            StaffFactor.credential_id == credential_id,
        )
    )
    if factor is None:
        raise wrong_attempt(member, "passkey")
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=base64url_to_bytes(factor.public_key),
            credential_current_sign_count=factor.sign_count,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError) as exc:
        raise wrong_attempt(member, "passkey") from exc
    factor.sign_count = verified.new_sign_count
    factor.last_used_at = utcnow()
    throttle.reset("second_factor", str(member.tenant_id), str(member.id))
    db.session.flush()
    return factor
