"""Signing in with the organization's own identity provider, through Authlib's Flask client.

Each organization's client is made from its own settings at every request (no registry shared by all), so a
changed secret or endpoint takes effect at once. The authorization code flow runs with PKCE (S256), a state and
a nonce; Authlib checks the ID token's signature against the provider's keys (fetched again for a key it has
not seen: a rotated key set), its issuer, audience, expiry and nonce; here the callback's `iss` is compared with
the provider's issuer, so a code another provider sent is refused before it is used. Every answer of the
provider goes over the connections' checked transport.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

import requests
import sqlalchemy as sa
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from authlib.integrations.requests_client import OAuth2Session
from flask import abort, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from joserfc.errors import JoseError

from services.gateways.http import check_session
from services.security.factors import has_factor
from services.security.sso import (
    Identity,
    client_secret,
    enabled_provider,
    identity_from_claims,
    link_of,
    link_own,
    staff_for,
    trusted_mfa,
)
from tenants.db import db
from tenants.errors import Refused
from tenants.security import SsoProvider
from tenants.sessions import record_event
from web.common.views import error_page, external_url, redirect_after_change, safe_next
from web.tenancy import confirmed_again

_FLOW = "dadras_sso"


class _CheckedClient(OAuth2Session):
    """Authlib's requests session, connecting only to checked addresses, with a time limit on every request."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("default_timeout", (5.0, 15.0))
        super().__init__(*args, **kwargs)
        check_session(self)


class _TenantApp(FlaskOAuth2App):
    client_cls = _CheckedClient


_METADATA = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "userinfo_endpoint",
    "id_token_signing_alg_values_supported",
)


def oauth_client(provider: SsoProvider) -> FlaskOAuth2App:
    """This organization's Authlib client, from its settings as they are now."""
    name = f"sso{provider.tenant_id}"
    metadata = {key: provider.endpoints[key] for key in _METADATA if provider.endpoints.get(key)}
    return _TenantApp(
        FlaskIntegration(name),
        name=name,
        client_id=provider.client_id,
        client_secret=client_secret(provider),
        client_kwargs={
            "scope": provider.scopes,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": provider.endpoints.get("token_endpoint_auth_method", "client_secret_basic"),
        },
        **metadata,
    )


def callback_url() -> str:
    """The address to register at the provider, on BASE_URL (never on the Host header a request sent)."""
    return external_url("auth.sso_callback")


def start(purpose: str, target: str):
    """Send the browser to the provider; what the flow is for is kept with its state."""
    provider = enabled_provider()
    if provider is None:
        abort(404)
    # One flow at a time per organization: the states of flows begun and never finished would otherwise pile up
    # in the cookie (Authlib clears one only at its callback) until it grows too big to keep.
    prefix = f"_state_sso{provider.tenant_id}_"
    for key in [key for key in session if key.startswith(prefix)]:
        session.pop(key)
    client = oauth_client(provider)
    found = client.create_authorization_url(callback_url())
    client.save_authorize_data(redirect_uri=callback_url(), **found)
    session[_FLOW] = {"s": found["state"], "p": purpose, "n": target, "t": g.tenant.id}
    return redirect(found["url"], code=303)


class _Refusal(Exception):
    """The provider's answer refused: the status, the words for the person, the reason for the security log."""

    def __init__(self, status: int, message: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.message, self.reason = status, message, reason


def _claims(provider: SsoProvider, client: FlaskOAuth2App) -> dict:
    """The verified ID token's claims, or the user-info answer of a plain OAuth 2.0 provider."""
    token = client.authorize_access_token()
    if provider.mode == "oidc":
        claims = token.get("userinfo")
        if not claims:
            raise JoseError("no ID token")
        return dict(claims)
    response = client.get(provider.endpoints["userinfo_endpoint"], token=token)
    response.raise_for_status()
    answer = response.json()
    if not isinstance(answer, dict):
        raise ValueError("user info is not an object")
    return answer


def _verified_identity(provider: SsoProvider, kept: object) -> Identity:
    """Who the provider's answer says signed in, every check passed; _Refusal otherwise."""
    expired = _("This sign-in has expired or was not started in this browser. Start again.")
    not_signed_in = _("The provider did not sign you in. Try again, or ask your IT department.")
    state = request.args.get("state", "")
    if (
        not isinstance(kept, dict)
        or kept.get("t") != g.tenant.id
        or not hmac.compare_digest(str(kept.get("s")).encode(), state.encode())
    ):
        raise _Refusal(400, expired, "state")
    if request.args.get("error"):
        raise _Refusal(401, not_signed_in, "denied")
    issued_by = request.args.get("iss")
    if provider.mode == "oidc" and (
        (issued_by is not None and issued_by != provider.endpoints.get("issuer"))
        or (issued_by is None and provider.endpoints.get("iss_parameter"))
    ):
        raise _Refusal(400, _("This answer came from another provider than this organization's."), "issuer")
    try:
        return identity_from_claims(provider, _claims(provider, oauth_client(provider)))
    except MismatchingStateError as exc:
        raise _Refusal(400, expired, "state") from exc
    except OAuthError as exc:
        raise _Refusal(401, not_signed_in, str(exc.error)[:60]) from exc
    except (JoseError, ValueError, KeyError, TypeError, ArithmeticError, RuntimeError) as exc:
        # ArithmeticError: an "expires_in" of 1e999; RuntimeError: Authlib's word for an ID token it cannot check
        # (a plain OAuth 2.0 provider that sends one, with no keys to check it against).
        raise _Refusal(
            401, _("The provider's answer could not be verified, so nobody was signed in."), "token"
        ) from exc
    except requests.RequestException as exc:
        raise _Refusal(502, _("The provider did not answer. Try again in a moment."), "unreachable") from exc
    except Refused as exc:
        raise _Refusal(exc.status if exc.status != 422 else 401, str(exc.message), "identity") from exc


def callback(logged_in: Callable[..., Any]):
    """The provider's answer: the person signed in through `logged_in(member, target, method=…, factor_done=…)`
    (or their account linked), or a clear refusal written to the security log."""
    provider = enabled_provider()
    if provider is None:
        abort(404)
    kept = session.pop(_FLOW, None)
    try:
        identity = _verified_identity(provider, kept)
        if kept.get("p") == "confirm":
            # The person proved themself again at the provider, in place of a password they do not have.
            mine = link_of(current_user) if current_user.is_authenticated else None
            if mine is None or (mine.issuer, mine.subject) != (identity.issuer, identity.subject):
                raise _Refusal(
                    403, _("That was another account at the provider than the one linked to yours."), "confirm"
                )
            if has_factor(current_user) and not trusted_mfa(provider, identity):
                # The provider proved the password's half only: a factor of Dadras's own is asked of this person.
                raise _Refusal(
                    403, _("Your account has a second factor: confirm with your password and the factor."), "confirm"
                )
            confirmed_again()
            return redirect_after_change(safe_next(kept.get("n"), url_for("account.security")))
        if kept.get("p") == "link":
            if not current_user.is_authenticated:
                raise _Refusal(409, _("Log in first, then link your account from your security page."), "link")
            try:
                link_own(current_user, identity)
            except Refused as exc:
                raise _Refusal(exc.status, str(exc.message), "link") from exc
            return redirect_after_change(url_for("account.security"))
    except _Refusal as refusal:
        record_event("sso_failed", detail=refusal.reason, survives_refusal=True)
        return error_page(refusal.status, refusal.message)
    try:
        member = staff_for(provider, identity)  # a refusal here is written to the log by the service
    except Refused as exc:
        return error_page(exc.status, str(exc.message))
    except sa.exc.IntegrityError:
        # The same person's first sign-in twice at once (two tabs): one made the account, this one keeps nothing.
        db.session.rollback()
        return error_page(409, _("Someone changed this at the same moment. Reload the page and try again."))
    target = safe_next(kept.get("n"), url_for("console.home"))
    return logged_in(member, target, method="sso", factor_done="sso" if trusted_mfa(provider, identity) else None)
