"""The organization's own single sign-on: its identity provider's settings, checked before they are kept, and who
a signed-in identity is on the staff.

An OpenID Connect provider is found from its issuer (discovery); a plain OAuth 2.0 one (the Yandex ID kind) is
given its three endpoints and says who the person is at its user-info endpoint. Every connection goes through
the same address checks as the organization's other servers, and plain HTTP only to a host the operator allowed
(CONNECTIONS_ALLOW_HOSTS). The client secret is sealed like the gateway credentials, and tried against the
provider before it is kept.

Who may come in: a link by the provider's subject (`sub`) once made; before that, an invited address — or,
where the organization allows it, an address of its domains — whose e-mail the provider says it verified.
Owners and administrators link only from their own security page, never by e-mail.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from services.gateways import addresses
from services.gateways.http import TIMEOUT, checked_transport
from services.gateways.secrets import seal, unseal
from tenants.accounts import create_signed_on_staff, find_staff_by_email, open_invitation_for
from tenants.db import db, utcnow
from tenants.errors import Conflict, Forbidden, NotFound, Refused
from tenants.models import StaffMember
from tenants.roles import Permission, Role, require
from tenants.security import SsoLink, SsoProvider, StaffSession
from tenants.sessions import end_sessions, record_event
from tenants.text import normalize_email, normalize_text

MODES = ("oidc", "oauth2")
# What an ID token may be signed with: a key the provider publishes, never "none" nor the client secret.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
_ADMINS = (Role.OWNER.value, Role.ADMIN.value)
# The ID token's word that more than a password was asked: RFC 8176's amr "mfa", or methods of two of its three
# kinds (something known, something held, something one is), or an acr of a known MFA level. One method alone
# (a code by SMS in place of the password) is one factor.
_AMR_KINDS = {
    "knowledge": frozenset({"pwd", "pin", "kba"}),
    "possession": frozenset({"otp", "sms", "tel", "hwk", "swk", "sc", "pop", "fido"}),
    "inherence": frozenset({"face", "fpt", "iris", "retina", "vbm", "bio"}),
}
_MFA_ACR = frozenset({"mfa", "2", "3", "http://schemas.openid.net/pape/policies/2007/06/multi-factor"})


def get_provider() -> SsoProvider | None:
    return db.session.scalar(sa.select(SsoProvider))


def enabled_provider() -> SsoProvider | None:
    provider = get_provider()
    return provider if provider is not None and provider.is_enabled else None


def client_secret(provider: SsoProvider) -> str:
    return unseal(provider.client_secret_sealed) or ""


def http_client() -> httpx.Client:
    """A client of its own whose connections go only to checked addresses."""
    return httpx.Client(timeout=TIMEOUT, transport=checked_transport(), trust_env=False, follow_redirects=False)


def _check_url(url: str, field: str) -> str:
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme not in ("https", "http")
        or not parts.hostname
        or parts.username
        or parts.password
        or any(ch.isspace() for ch in url)
    ):
        raise Refused(_l("Type the provider's address, starting with https://."), field=field)
    if parts.scheme == "http" and not addresses.allowed_inside(parts.hostname):
        raise Refused(_l("The provider's address must start with https://."), field=field)
    try:
        addresses.check_host(parts.hostname, port or (443 if parts.scheme == "https" else 80))
    except addresses.RefusedAddress as exc:
        raise Refused(
            _l("This address is inside a private network: Dadras does not connect there."), field=field
        ) from exc
    return url.rstrip("/") if field == "issuer" else url


def _get_json(client: httpx.Client, url: str, field: str) -> dict:
    try:
        response = client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        if addresses.refused(exc):
            raise Refused(
                _l("This address is inside a private network: Dadras does not connect there."), field=field
            ) from exc
        raise Refused(_l("The provider at this address did not answer. Check the address."), field=field) from exc
    try:
        found = response.json() if response.status_code == 200 else None
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise Refused(
            _l("This address gives no OpenID Connect configuration. Check the issuer's address."), field=field
        )
    return found


def discover(issuer: str) -> dict:
    """The provider's endpoints from its discovery document, which must name the same issuer."""
    issuer = _check_url(issuer, "issuer")
    with http_client() as client:
        found = _get_json(client, f"{issuer}/.well-known/openid-configuration", "issuer")
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    if not all(isinstance(found.get(key), str) and 0 < len(found[key]) <= 500 for key in needed):
        raise Refused(
            _l("This address gives no OpenID Connect configuration. Check the issuer's address."), field="issuer"
        )
    if found["issuer"].rstrip("/") != issuer:
        raise Refused(
            _l("The provider names itself %(found)s, not this address.", found=found["issuer"]), field="issuer"
        )
    if not isinstance(found.get("userinfo_endpoint") or "", str) or len(found.get("userinfo_endpoint") or "") > 500:
        found["userinfo_endpoint"] = ""
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        if found.get(key):
            _check_url(found[key], "issuer")
    listed = found.get("id_token_signing_alg_values_supported")
    algorithms = [a for a in listed if a in SIGNING_ALGORITHMS] if isinstance(listed, list) else []
    methods = found.get("token_endpoint_auth_methods_supported")
    methods = methods if isinstance(methods, list) else ["client_secret_basic"]
    return {
        "issuer": found["issuer"],
        "authorization_endpoint": found["authorization_endpoint"],
        "token_endpoint": found["token_endpoint"],
        "jwks_uri": found["jwks_uri"],
        "userinfo_endpoint": found.get("userinfo_endpoint") or "",
        "id_token_signing_alg_values_supported": algorithms or ["RS256"],
        "token_endpoint_auth_method": "client_secret_basic"
        if "client_secret_basic" in methods
        else "client_secret_post",
        "iss_parameter": found.get("authorization_response_iss_parameter_supported") is True,
    }


def try_secret(endpoints: dict, client_id: str, secret: str, redirect_uri: str) -> None:
    """Ask the provider's token endpoint with a code nobody has: a provider that knows the client answers that
    the code is wrong; one that does not, that the client is unknown (then the settings are not kept)."""
    data = {"grant_type": "authorization_code", "code": secrets.token_urlsafe(16), "redirect_uri": redirect_uri}
    auth = None
    if endpoints.get("token_endpoint_auth_method") == "client_secret_post":
        data |= {"client_id": client_id, "client_secret": secret}
    else:
        auth = httpx.BasicAuth(client_id, secret)
    with http_client() as client:
        try:
            response = client.post(endpoints["token_endpoint"], data=data, auth=auth)
        except httpx.HTTPError as exc:
            raise Refused(_l("The provider's token endpoint did not answer."), field="client_secret") from exc
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if response.status_code == 401 or error in ("invalid_client", "unauthorized_client"):
        raise Refused(_l("The provider does not accept this client id and secret."), field="client_secret")


@dataclass(frozen=True)
class ProviderSettings:
    mode: str
    name: str
    issuer: str
    authorize_url: str
    token_url: str
    userinfo_url: str
    client_id: str
    client_secret: str  # empty: keep the one saved
    scopes: str
    email_domains: str
    create_staff: bool
    default_role: str
    trust_mfa: bool
    sso_only: bool
    is_enabled: bool
    trust_email: bool = False


def _domains(text: str) -> list[str]:
    found = []
    # Commas and semicolons of any script (Persian «،» and «؛» too), or spaces, between them.
    for part in re.split(r"[,;،؛\s]+", text or ""):
        domain = part.strip().lower().lstrip("@").rstrip(".")
        if domain:
            if "." not in domain or any(ch in domain for ch in "/:\\"):
                raise Refused(_l("Type e-mail domains like example.com, separated by commas."), field="email_domains")
            found.append(domain)
    return found


def save_provider(actor: StaffMember, wanted: ProviderSettings, redirect_uri: str) -> SsoProvider:
    """Keep the organization's provider once its address answers and it accepts the client id and secret."""
    require(actor, Permission.MANAGE_SECURITY)
    if wanted.mode not in MODES:
        raise Refused(_l("Choose a kind of provider from the list."), field="mode")
    if wanted.default_role in _ADMINS or wanted.default_role not in {r.value for r in Role}:
        raise Refused(_l("People who join by single sign-on cannot be owners or administrators."), field="default_role")
    domains = _domains(wanted.email_domains)
    if wanted.create_staff and not domains:
        raise Refused(
            _l("Name the e-mail domains whose people may join on their first sign-in."), field="email_domains"
        )
    provider = get_provider()
    if wanted.mode == "oidc":
        endpoints = discover(wanted.issuer)
        issuer = endpoints["issuer"]
    else:
        endpoints = {
            "authorization_endpoint": _check_url(wanted.authorize_url, "authorize_url"),
            "token_endpoint": _check_url(wanted.token_url, "token_url"),
            "userinfo_endpoint": _check_url(wanted.userinfo_url, "userinfo_url"),
            "token_endpoint_auth_method": "client_secret_post",
        }
        # Who a person is comes from the user-info endpoint: its origin is what the links are kept under.
        userinfo = urlsplit(endpoints["userinfo_endpoint"])
        issuer = f"{userinfo.scheme}://{userinfo.netloc}"
    # Another provider (or another client at it) is another world of subjects: the links made at the old one
    # mean nothing there and are forgotten, and the secret kept for the old endpoints is never sent to new ones.
    same = provider is not None and (provider.mode, provider.issuer, provider.client_id) == (
        wanted.mode,
        issuer,
        wanted.client_id.strip(),
    )
    same = same and all(
        provider.endpoints.get(key) == endpoints.get(key)
        for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
    )
    secret = wanted.client_secret or (client_secret(provider) if same else "")
    if not secret:
        raise Refused(_l("Type the client secret the provider gave."), field="client_secret")
    try_secret(endpoints, wanted.client_id.strip(), secret, redirect_uri)
    if provider is None:
        provider = SsoProvider()
        db.session.add(provider)
    elif not same:
        db.session.execute(sa.delete(SsoLink))
    scopes = " ".join(wanted.scopes.split()) or ("openid email profile" if wanted.mode == "oidc" else "")
    if wanted.mode == "oidc" and "openid" not in scopes.split():
        scopes = f"openid {scopes}"
    if wanted.mode == "oauth2":  # "openid" would have Authlib expect an ID token it has no keys to check
        scopes = " ".join(scope for scope in scopes.split() if scope != "openid")
    provider.mode, provider.name, provider.issuer = wanted.mode, wanted.name.strip()[:60], issuer
    provider.endpoints, provider.client_id = endpoints, wanted.client_id.strip()
    provider.client_secret_sealed, provider.scopes = seal(secret), scopes[:300]
    provider.email_domains = ", ".join(domains)[:500]
    provider.create_staff, provider.default_role = wanted.create_staff, wanted.default_role
    was_only = provider.sso_only and provider.is_enabled
    provider.trust_mfa, provider.sso_only, provider.is_enabled = wanted.trust_mfa, wanted.sso_only, wanted.is_enabled
    if provider.sso_only and provider.is_enabled and not was_only:
        # Passwords stop working now, also in the sessions they opened (but for the owners, who keep theirs).
        end_sessions(None, "sso_only", method="password", but_role=Role.OWNER.value)
    provider.trust_email = wanted.trust_email
    provider.updated_at = utcnow()
    record_event("sso_changed", actor, detail=f"{wanted.mode} {issuer}"[:300])
    db.session.flush()
    return provider


def remove_provider(actor: StaffMember) -> None:
    """No single sign-on any more: passwords work again for all, the links are forgotten."""
    require(actor, Permission.MANAGE_SECURITY)
    provider = get_provider()
    if provider is None:
        raise NotFound(_l("There is no single sign-on to remove."))
    db.session.execute(sa.delete(SsoLink))
    end_sessions(None, "sso_removed", method="sso")  # the actor's own too, if they came in by the provider
    db.session.delete(provider)
    record_event("sso_changed", actor, detail="removed")
    db.session.flush()


def passwords_refused(member: StaffMember) -> bool:
    """Whether this staff member must sign in through the provider (SSO only, and not an owner)."""
    provider = enabled_provider()
    return provider is not None and provider.sso_only and member.role != Role.OWNER.value


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str
    mfa: bool


def identity_from_claims(provider: SsoProvider, claims: dict) -> Identity:
    """The identity in a verified ID token's claims (OpenID Connect) or a user-info answer (plain OAuth 2.0)."""
    if provider.mode == "oidc":
        subject, email = claims.get("sub"), claims.get("email")
        if not email and provider.trust_email:
            email = claims.get("preferred_username")  # Entra ID's user principal name, an address there
        verified = claims.get("email_verified") is True or claims.get("email_verified") == "true"
        # Microsoft Entra ID says nothing of it; an organization whose provider holds only its own accounts
        # may count every address it gives as verified.
        verified = verified or (provider.trust_email and isinstance(email, str) and "@" in email)
    else:
        subject = claims.get("sub") or claims.get("id")
        email = claims.get("email") or claims.get("default_email")
        # Yandex ID's default_email is one it has confirmed; elsewhere the answer must say so.
        verified = claims.get("email_verified") is True or ("default_email" in claims and not claims.get("email"))
    amr = claims.get("amr") if isinstance(claims.get("amr"), list) else []
    methods = {str(a).lower() for a in amr}
    kinds = sum(1 for known in _AMR_KINDS.values() if methods & known)
    mfa = "mfa" in methods or kinds >= 2 or str(claims.get("acr", "")).lower() in _MFA_ACR
    name = claims.get("name") or claims.get("real_name") or claims.get("display_name") or ""
    subject = str(subject) if isinstance(subject, str | int) and not isinstance(subject, bool) else ""
    # Kept whole or not at all: two subjects cut to one length would be one person here.
    if not subject or len(subject) > 255 or not subject.isprintable():
        raise Refused(_l("The provider did not say who signed in."))
    return Identity(
        issuer=provider.issuer,
        subject=subject,
        email=normalize_email(email) if isinstance(email, str) else "",
        email_verified=bool(verified),
        name=(normalize_text(name) or "")[:120] if isinstance(name, str) else "",
        mfa=mfa,
    )


def _refuse(identity: Identity, member: StaffMember | None, reason: str, message) -> Refused:
    record_event("sso_failed", member, email=identity.email, detail=reason, survives_refusal=True)
    return Forbidden(message)


def _link(member: StaffMember, identity: Identity, actor: StaffMember | None = None) -> None:
    db.session.add(SsoLink(staff_member_id=member.id, issuer=identity.issuer, subject=identity.subject))
    db.session.flush()
    record_event("sso_linked", member, actor=actor)


def link_of(member: StaffMember) -> SsoLink | None:
    return db.session.scalar(sa.select(SsoLink).where(SsoLink.staff_member_id == member.id))


def staff_for(provider: SsoProvider, identity: Identity) -> StaffMember:
    """The active staff member this identity is, linked now if this is their first sign-in; Forbidden (with the
    reason in the security log) when it is nobody who may come in."""
    link = db.session.scalar(
        sa.select(SsoLink).where(SsoLink.issuer == identity.issuer, SsoLink.subject == identity.subject)
    )
    if link is not None:
        member = db.session.get(StaffMember, link.staff_member_id)
        if member is None or not member.is_active:
            raise _refuse(
                identity,
                member,
                "deactivated",
                _l("This account has been deactivated. Ask an administrator of this organization."),
            )
        link.last_used_at = utcnow()
        return member
    domains = [d.strip() for d in provider.email_domains.split(",") if d.strip()]
    domain = identity.email.rpartition("@")[2]
    if not identity.email or (domains and domain not in domains):
        raise _refuse(
            identity, None, "domain", _l("This organization's single sign-on does not serve this e-mail address.")
        )
    if not identity.email_verified:
        raise _refuse(
            identity,
            None,
            "unverified",
            _l("The provider has not verified this e-mail address, so it cannot be linked to the staff."),
        )
    not_staff = _l("This address is not on the staff of this organization. Ask an administrator to invite you.")
    known = find_staff_by_email(identity.email)
    if known is not None:
        # Already on the staff: never linked by e-mail alone; they link from their own security page.
        raise _refuse(
            identity,
            known,
            "not_linked",
            _l(
                "You are on the staff already: log in with your password once and link your account to the "
                "provider from your security page."
            ),
        )
    invitation = open_invitation_for(identity.email)
    if invitation is not None:
        if invitation.role == Role.OWNER.value:
            raise _refuse(
                identity, None, "owner", _l("Accept an invitation to be an owner from its e-mail, with a password.")
            )
        member = create_signed_on_staff(identity.email, identity.name, Role(invitation.role))
        invitation.accepted_at = utcnow()
        _link(member, identity)
        return member
    if provider.create_staff and domains and domain in domains:
        member = create_signed_on_staff(identity.email, identity.name, Role(provider.default_role))
        _link(member, identity)
        return member
    raise _refuse(identity, None, "not_staff", not_staff)


def link_own(member: StaffMember, identity: Identity) -> None:
    """Link the logged-in staff member (an owner or administrator above all) to the identity they just proved."""
    taken = db.session.scalar(
        sa.select(SsoLink).where(SsoLink.issuer == identity.issuer, SsoLink.subject == identity.subject)
    )
    if taken is not None and taken.staff_member_id != member.id:
        raise Conflict(_l("This identity at the provider is linked to someone else on the staff."))
    if taken is None:
        db.session.execute(sa.delete(SsoLink).where(SsoLink.staff_member_id == member.id))
        _link(member, identity, actor=member)


def linked_staff() -> list[tuple[SsoLink, StaffMember]]:
    """Who is linked to the provider, by name."""
    return list(
        db.session.execute(
            sa.select(SsoLink, StaffMember)
            .join(StaffMember, StaffMember.id == SsoLink.staff_member_id)
            .order_by(StaffMember.name, StaffMember.id)
        ).all()
    )


def unlink_staff(actor: StaffMember, member_id: int) -> None:
    """An administrator unlinks someone (a person who left the provider, an account linked by mistake)."""
    require(actor, Permission.MANAGE_SECURITY)
    member = db.session.get(StaffMember, member_id)
    link = link_of(member) if member is not None else None
    if link is None:
        raise NotFound(_l("This staff member is not linked to the provider."))
    if member.role == Role.OWNER.value and actor.role != Role.OWNER.value:
        raise Forbidden()
    db.session.delete(link)
    end_sessions(member.id, "sso_unlinked", method="sso")  # whoever left the provider is out at once
    record_event("sso_unlinked", member, actor=actor)
    db.session.flush()


def unlink_own(member: StaffMember, keep: StaffSession | None = None) -> None:
    link = link_of(member)
    if link is None:
        raise NotFound(_l("Your account is not linked to the provider."))
    db.session.delete(link)
    end_sessions(member.id, "sso_unlinked", keep=keep, method="sso")  # the others signed in by the provider
    record_event("sso_unlinked", member)
    db.session.flush()


def trusted_mfa(provider: SsoProvider, identity: Identity) -> bool:
    """Whether the provider's own MFA stands for the second factor here."""
    return provider.trust_mfa and identity.mfa
