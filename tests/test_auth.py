"""Staff log-in and log-out, throttling, deactivation, and logins kept apart per tenant."""

from __future__ import annotations

from tests.fixtures.factories import PASSWORD


def test_console_asks_an_anonymous_visitor_to_log_in(client, make_tenant):
    made = make_tenant()
    response = client.get(f"/{made.tenant.slug}/console/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/{made.tenant.slug}/console/login?next=")


def test_login_opens_the_console_and_logout_closes_it(client, make_tenant, login_as):
    made = make_tenant()
    login_as(client, made.tenant, made.owner)
    assert client.get(f"/{made.tenant.slug}/console/").status_code == 200
    response = client.post(f"/{made.tenant.slug}/console/logout")
    assert response.status_code == 303
    assert client.get(f"/{made.tenant.slug}/console/").status_code == 303


def test_login_follows_a_local_next_but_never_an_outside_one(client, make_tenant):
    made = make_tenant()
    slug = made.tenant.slug
    data = {"email": made.owner.email, "password": PASSWORD, "next": "https://evil.example.com/"}
    response = client.post(f"/{slug}/console/login", data=data)
    assert response.headers["Location"] == f"/{slug}/console/"


def test_wrong_password_is_refused_with_a_message(client, make_tenant):
    made = make_tenant()
    response = client.post(
        f"/{made.tenant.slug}/console/login", data={"email": made.owner.email, "password": "wrong-password-1"}
    )
    assert response.status_code == 401
    assert "wrong" in response.get_data(as_text=True)


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client, make_tenant):
    made = make_tenant()
    url = f"/{made.tenant.slug}/console/login"
    unknown = client.post(url, data={"email": "nobody@example.com", "password": "wrong-password-1"})
    wrong = client.post(url, data={"email": made.owner.email, "password": "wrong-password-1"})
    assert unknown.status_code == wrong.status_code == 401
    assert "The e-mail address or the password is wrong." in unknown.get_data(as_text=True)


def test_failed_logins_never_lock_the_account(make_app, make_tenant):
    app = make_app(LOGIN_SLOWDOWN_AFTER=100)  # no spacing out here: only that nothing locks
    client = app.test_client()
    made = make_tenant()
    url = f"/{made.tenant.slug}/console/login"
    for _ in range(6):
        client.post(url, data={"email": made.owner.email, "password": "wrong-password-1"})
    response = client.post(url, data={"email": made.owner.email, "password": PASSWORD})
    assert response.status_code == 303


def test_failed_logins_are_throttled_per_ip(make_app, make_tenant):
    app = make_app(RATELIMITS={"login_ip": "3/hour"}, LOGIN_SLOWDOWN_AFTER=100)
    client = app.test_client()
    made = make_tenant()
    url = f"/{made.tenant.slug}/console/login"
    for n in range(3):
        client.post(url, data={"email": f"someone{n}@example.com", "password": "wrong-password-1"})
    response = client.post(url, data={"email": made.owner.email, "password": PASSWORD})
    assert response.status_code == 429


def test_a_deactivated_member_cannot_log_in(client, make_tenant, make_user, login_as):
    made = make_tenant()
    agent = make_user(made.tenant)
    login_as(client, made.tenant, made.owner)
    client.post(f"/{made.tenant.slug}/console/settings/staff/{agent.id}/deactivate")
    other = client.application.test_client()
    response = other.post(f"/{made.tenant.slug}/console/login", data={"email": agent.email, "password": PASSWORD})
    assert response.status_code == 401
    assert "deactivated" in response.get_data(as_text=True)


def test_deactivation_ends_the_members_open_session(app, make_tenant, make_user, login_as):
    made = make_tenant()
    agent = make_user(made.tenant)
    agent_client, owner_client = app.test_client(), app.test_client()
    login_as(agent_client, made.tenant, agent)
    assert agent_client.get(f"/{made.tenant.slug}/console/").status_code == 200
    login_as(owner_client, made.tenant, made.owner)
    owner_client.post(f"/{made.tenant.slug}/console/settings/staff/{agent.id}/deactivate")
    assert agent_client.get(f"/{made.tenant.slug}/console/").status_code != 200


def test_a_login_on_one_tenant_never_opens_another(client, make_tenant, make_user, login_as):
    a, b = make_tenant(), make_tenant()
    make_user(b.tenant, email=a.owner.email)  # the same person is staff of both, with separate accounts
    login_as(client, a.tenant, a.owner)
    response = client.get(f"/{b.tenant.slug}/console/")
    assert response.status_code == 303  # B's own log-in page, not B's console
    assert response.headers["Location"] == f"/{b.tenant.slug}/console/login?next=/{b.tenant.slug}/console/"


def test_one_person_logged_in_to_two_tenants_logs_out_of_one_only(client, make_tenant, make_user, login_as):
    a, b = make_tenant(), make_tenant()
    b_member = make_user(b.tenant, email=a.owner.email)
    login_as(client, a.tenant, a.owner)
    login_as(client, b.tenant, b_member)
    assert client.get(f"/{a.tenant.slug}/console/").status_code == 200
    assert client.get(f"/{b.tenant.slug}/console/").status_code == 200
    client.post(f"/{b.tenant.slug}/console/logout")
    assert client.get(f"/{a.tenant.slug}/console/").status_code == 200
    assert client.get(f"/{b.tenant.slug}/console/").status_code != 200


def test_overlong_login_input_is_refused(client, make_tenant):
    made = make_tenant()
    response = client.post(
        f"/{made.tenant.slug}/console/login", data={"email": "a" * 300 + "@example.com", "password": "x" * 500}
    )
    assert response.status_code == 422


def test_session_cookie_is_http_only_and_same_site(client, make_tenant, login_as):
    made = make_tenant()
    response = login_as(client, made.tenant, made.owner)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    from web import create_app

    monkeypatch.setenv("DADRAS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 40)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_to_start_without_a_secret(monkeypatch, tmp_path):
    import pytest

    from web import create_app
    from web.config import ConfigError

    monkeypatch.setenv("DADRAS_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
