"""Pages with personal data are never cached; production asks browsers to keep to HTTPS."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.app import sent_one_time_code

NGINX = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"


def test_console_pages_and_their_fragments_are_not_stored(client, make_tenant, login_as):
    made = make_tenant()
    login_as(client, made.tenant, made.owner)
    base = f"/{made.tenant.slug}/console"
    for url, headers in (
        (f"{base}/", {}),
        (f"{base}/complaints", {"HX-Request": "true"}),
        (f"{base}/settings/staff", {}),
    ):
        response = client.get(url, headers=headers, follow_redirects=True)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url


def test_a_proven_status_page_is_not_stored_and_a_strangers_may_be(app, make_tenant, make_complaint):
    made = make_tenant(locale="fa")
    complaint = make_complaint(made, phone="+98 912 123 4567")
    url = f"/{made.tenant.slug}/track/{complaint.code}"
    client = app.test_client()
    assert "no-store" not in client.get(url).headers.get("Cache-Control", "")
    client.post(f"{url}/proof", data={"channel": "sms"})
    assert client.post(f"{url}/verify", data={"code": sent_one_time_code(app)}).status_code == 303
    assert client.get(url).headers["Cache-Control"] == "no-store"


def test_hsts_is_sent_when_cookies_are_secure(make_app):
    assert "Strict-Transport-Security" not in make_app().test_client().get("/signup").headers
    secure = make_app(SESSION_COOKIE_SECURE=True).test_client().get("/signup")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_nginx_sends_hsts_once():
    text = NGINX.read_text()
    assert 'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;' in text
    assert "proxy_hide_header Strict-Transport-Security;" in text
