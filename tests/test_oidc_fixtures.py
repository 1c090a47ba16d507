"""The two OpenID Connect providers of the single sign-on tests, driven by a plain client (Authlib's)."""

from __future__ import annotations

import base64
import json
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from tests.fixtures.httpapi import LocalServer, serving
from tests.fixtures.oidcfake import running_fake_oidc
from tests.fixtures.oidcprovider import running_oidc_provider

REDIRECT_URI = "http://127.0.0.1:9/callback"  # the fake redirects without following: nothing listens there


def decoded(id_token: str, jwks: dict, issuer: str, audience: str, nonce: str) -> dict:
    """The ID token's claims, once its signature, issuer, audience, nonce and lifetime check out."""
    token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": audience},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
        sub={"essential": True},
    ).validate(token.claims)
    return token.claims


def unverified_claims(id_token: str) -> tuple[dict, dict]:
    """(header, claims) of a JWT, read without any check."""
    header, payload = (json.loads(base64.urlsafe_b64decode(part + "==")) for part in id_token.split(".")[:2])
    return header, payload


class Flow:
    """One authorization code flow against the fake: authorize (redirect not followed), then the token."""

    def __init__(self, fake, auth_method: str = "client_secret_basic", pkce: bool = True) -> None:
        self.fake = fake
        self.session = OAuth2Session(
            fake.client_id,
            fake.client_secret,
            scope="openid email profile",
            redirect_uri=REDIRECT_URI,
            code_challenge_method="S256" if pkce else None,
            token_endpoint_auth_method=auth_method,
        )
        self.verifier = generate_token(48) if pkce else None
        self.nonce = generate_token(20)

    def authorize(self) -> dict:
        """The query the fake redirected back with."""
        url, self.state = self.session.create_authorization_url(
            self.fake.issuer + "/authorize", code_verifier=self.verifier, nonce=self.nonce
        )
        answer = requests.get(url, allow_redirects=False, timeout=5)
        assert answer.status_code == 302
        self.callback = answer.headers["Location"]
        return dict(parse_qsl(urlsplit(self.callback).query))

    def token(self, code_verifier: str | None = None) -> dict:
        return self.session.fetch_token(
            self.fake.issuer + "/token",
            authorization_response=self.callback,
            code_verifier=code_verifier or self.verifier,
        )

    def run(self) -> dict:
        self.authorize()
        return self.token()

    def claims(self, token: dict) -> dict:
        return decoded(token["id_token"], self.fake.jwks(), self.fake.issuer, self.fake.client_id, self.nonce)


@pytest.fixture
def fake():
    with running_fake_oidc() as server:
        yield server


def test_fake_discovery_names_its_endpoints(fake):
    document = requests.get(fake.issuer + "/.well-known/openid-configuration", timeout=5).json()
    assert document["issuer"] == fake.issuer
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert requests.get(document["jwks_uri"], timeout=5).json() == fake.jwks()


def test_fake_code_flow_gives_an_id_token_verified_against_its_jwks(fake):
    flow = Flow(fake)
    callback = flow.authorize()
    assert callback["state"] == flow.state
    assert callback["iss"] == fake.issuer
    token = flow.token()
    jwks = requests.get(fake.issuer + "/jwks", timeout=5).json()
    claims = decoded(token["id_token"], jwks, fake.issuer, fake.client_id, flow.nonce)
    assert (claims["sub"], claims["email"], claims["email_verified"]) == ("fake-user-1", "person@example.test", True)
    asked = fake.authorize_requests[-1]
    assert asked["code_challenge_method"] == "S256"
    assert asked["nonce"] == flow.nonce
    assert asked["scope"] == "openid email profile"
    assert fake.token_requests[-1]["auth_method"] == "client_secret_basic"
    assert fake.token_requests[-1]["code_challenge_sent"] is True
    assert flow.session.get(fake.issuer + "/userinfo", timeout=5).json()["email"] == "person@example.test"


def test_fake_takes_the_client_secret_in_the_form(fake):
    Flow(fake, auth_method="client_secret_post").run()
    assert fake.token_requests[-1]["auth_method"] == "client_secret_post"


def test_fake_refuses_a_method_it_is_told_not_to_take(fake):
    fake.token_auth_methods = {"client_secret_post"}
    with pytest.raises(OAuthError, match="invalid_client"):
        Flow(fake).run()


def test_fake_refuses_a_code_verifier_that_does_not_match_the_challenge(fake):
    flow = Flow(fake)
    flow.authorize()
    with pytest.raises(OAuthError, match="invalid_grant"):
        flow.token(code_verifier=generate_token(48))


def test_fake_takes_a_code_once(fake):
    flow = Flow(fake)
    flow.run()
    with pytest.raises(OAuthError, match="invalid_grant"):
        flow.token()


def test_fake_refuses_an_authorization_without_pkce(fake):
    flow = Flow(fake, pkce=False)
    assert flow.authorize()["error"] == "invalid_request"
    assert "code_challenge" not in fake.authorize_requests[-1]


def test_fake_without_required_pkce_records_that_no_challenge_came(fake):
    fake.require_pkce = False
    Flow(fake, pkce=False).run()
    assert fake.token_requests[-1]["code_challenge_sent"] is False


def test_fake_user_claims_are_what_the_test_sets(fake):
    fake.claims |= {"sub": "someone", "email_verified": False, "amr": ["pwd", "otp"], "acr": "urn:mfa"}
    flow = Flow(fake)
    claims = flow.claims(flow.run())
    assert (claims["sub"], claims["email_verified"], claims["amr"], claims["acr"]) == (
        "someone",
        False,
        ["pwd", "otp"],
        "urn:mfa",
    )


@pytest.mark.parametrize(
    ("knob", "value", "claim", "seen"),
    [
        ("audience", "another-client", "aud", "another-client"),
        ("token_issuer", "http://127.0.0.1:1", "iss", "http://127.0.0.1:1"),
        ("nonce", "wrong", "nonce", "not-the-nonce-that-was-sent"),
        ("nonce", "absent", "nonce", None),
    ],
)
def test_fake_knob_makes_an_id_token_that_fails_its_check(fake, knob, value, claim, seen):
    setattr(fake, knob, value)
    flow = Flow(fake)
    token = flow.run()
    assert unverified_claims(token["id_token"])[1].get(claim) == seen
    with pytest.raises(JoseError):
        flow.claims(token)


def test_fake_expired_id_token_fails_its_check(fake):
    fake.expired = True
    flow = Flow(fake)
    token = flow.run()
    assert unverified_claims(token["id_token"])[1]["exp"] < time.time() - 600
    with pytest.raises(JoseError):
        flow.claims(token)


def test_fake_unsigned_id_token_says_alg_none(fake):
    fake.alg = "none"
    flow = Flow(fake)
    token = flow.run()
    assert unverified_claims(token["id_token"])[0]["alg"] == "none"
    assert token["id_token"].endswith(".")
    with pytest.raises(JoseError):
        flow.claims(token)


def test_fake_rotated_key_signs_with_a_kid_only_the_new_jwks_has(fake):
    old_jwks = fake.jwks()
    fake.rotate_key()
    flow = Flow(fake)
    token = flow.run()
    kid = unverified_claims(token["id_token"])[0]["kid"]
    assert kid not in {key["kid"] for key in old_jwks["keys"]}
    assert [key["kid"] for key in requests.get(fake.issuer + "/jwks", timeout=5).json()["keys"]] == [kid]
    with pytest.raises(JoseError):
        decoded(token["id_token"], old_jwks, fake.issuer, fake.client_id, flow.nonce)
    assert flow.claims(token)["sub"] == "fake-user-1"


@pytest.mark.parametrize(("value", "seen"), [("http://127.0.0.1:1", "http://127.0.0.1:1"), (None, None)])
def test_fake_callback_iss_knob(fake, value, seen):
    fake.callback_iss = value
    assert Flow(fake).authorize().get("iss") == seen


def test_fake_authorize_error_comes_back_with_the_state(fake):
    fake.authorize_error = "access_denied"
    flow = Flow(fake)
    assert flow.authorize() == {"error": "access_denied", "state": flow.state, "iss": fake.issuer}


def test_fake_plain_oauth_gives_an_access_token_and_a_yandex_like_userinfo(fake):
    fake.plain_oauth = True
    flow = Flow(fake)
    token = flow.run()
    assert "id_token" not in token
    answer = requests.get(
        fake.issuer + "/userinfo", headers={"Authorization": "OAuth " + token["access_token"]}, timeout=5
    ).json()
    assert (answer["id"], answer["default_email"]) == ("fake-user-1", "person@example.test")


def test_fake_userinfo_refuses_an_unknown_token(fake):
    answer = requests.get(fake.issuer + "/userinfo", headers={"Authorization": "Bearer nothing"}, timeout=5)
    assert answer.status_code == 401


def test_fake_discovery_answers_html_when_told(fake):
    fake.discovery = "html"
    answer = requests.get(fake.issuer + "/.well-known/openid-configuration", timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")


def test_fake_discovery_can_answer_404(fake):
    fake.discovery = "404"
    assert requests.get(fake.issuer + "/.well-known/openid-configuration", timeout=5).status_code == 404


def test_fake_discovery_can_close_without_an_answer(fake):
    fake.discovery = "drop"
    with pytest.raises(requests.ConnectionError):
        requests.get(fake.issuer + "/.well-known/openid-configuration", timeout=5)


# The real provider, started once for the module.


class CallbackHandler(BaseHTTPRequestHandler):
    """The client's redirect target: records the query of each /callback (the browser asks for more)."""

    server: LocalServer

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/callback":
            self.server.calls.append(dict(parse_qsl(parts.query)))
        body = b"<!doctype html><title>back</title><p>Back at the client.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


ACCOUNT = {
    "sub": "user-7",
    "login": "nasrin",
    "email": "nasrin@example.test",
    "email_verified": True,
    "name": "Nasrin",
    "amr": ["pwd", "otp"],
    "acr": "urn:dadras:mfa",
}


@pytest.fixture(scope="module")
def callback_target():
    with serving(LocalServer(CallbackHandler)) as server:
        yield server


@pytest.fixture(scope="module")
def provider(callback_target):
    redirect_uris = [callback_target.url + "/callback"]
    clients = [
        {
            "client_id": "basic-client",
            "client_secret": "basic-secret",
            "redirect_uris": redirect_uris,
            "token_endpoint_auth_method": "client_secret_basic",
        },
        {
            "client_id": "post-client",
            "client_secret": "post-secret",
            "redirect_uris": redirect_uris,
            "token_endpoint_auth_method": "client_secret_post",
        },
    ]
    with running_oidc_provider(clients=clients, accounts=[ACCOUNT]) as running:
        yield running


def test_real_provider_discovery_and_jwks(provider):
    document = provider.discovery()
    assert document["issuer"] == provider.issuer
    assert provider.issuer.startswith("http://localhost:")
    assert document["authorization_response_iss_parameter_supported"] is True
    assert document["code_challenge_methods_supported"] == ["S256"]
    keys = requests.get(document["jwks_uri"], timeout=5).json()["keys"]
    assert [(key["kty"], key["alg"]) for key in keys] == [("RSA", "RS256")]


def test_real_provider_refuses_an_authorization_without_pkce(provider, callback_target):
    client = provider.client("basic-client")
    session = OAuth2Session(client["client_id"], scope="openid", redirect_uri=client["redirect_uris"][0])
    url, _state = session.create_authorization_url(provider.discovery()["authorization_endpoint"], nonce="n")
    answer = requests.get(url, allow_redirects=False, timeout=5)
    back = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
    assert back["error"] == "invalid_request"
    assert "PKCE" in back["error_description"]


@pytest.mark.browser
@pytest.mark.parametrize("client_id", ["basic-client", "post-client"])
def test_real_provider_login_in_chromium(provider, callback_target, page, client_id):
    client = provider.client(client_id)
    document = provider.discovery()
    session = OAuth2Session(
        client["client_id"],
        client["client_secret"],
        scope="openid email profile",
        redirect_uri=client["redirect_uris"][0],
        code_challenge_method="S256",
        token_endpoint_auth_method=client["token_endpoint_auth_method"],
    )
    verifier, nonce = generate_token(48), generate_token(20)
    url, state = session.create_authorization_url(
        document["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    page.goto(url)
    page.get_by_label("Login").fill(ACCOUNT["login"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(client["redirect_uris"][0] + "?*")
    back = callback_target.calls[-1]
    assert (back["state"], back["iss"]) == (state, provider.issuer)
    token = session.fetch_token(
        document["token_endpoint"],
        authorization_response=page.url,
        code_verifier=verifier,
    )
    jwks = requests.get(document["jwks_uri"], timeout=5).json()
    claims = decoded(token["id_token"], jwks, provider.issuer, client_id, nonce)
    assert (claims["sub"], claims["email"], claims["email_verified"], claims["name"]) == (
        "user-7",
        "nasrin@example.test",
        True,
        "Nasrin",
    )
    assert (claims["amr"], claims["acr"]) == (["pwd", "otp"], "urn:dadras:mfa")
