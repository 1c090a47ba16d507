"""A second tenant sees nothing of the first through any route."""

from __future__ import annotations

import pytest


@pytest.fixture
def two(make_tenant, make_user):
    a, b = make_tenant(), make_tenant()
    b_agent = make_user(b.tenant)
    return a, b, b_agent


def test_staff_of_a_get_404_for_every_console_url_of_b(client, two, login_as):
    a, b, _ = two
    login_as(client, a.tenant, a.owner)
    for path in ("/console/", "/console/settings/staff"):
        assert client.get(f"/{b.tenant.slug}{path}").status_code == 404, path


@pytest.mark.parametrize("action", ["role", "deactivate", "reactivate"])
def test_a_urls_with_b_ids_are_404(client, two, login_as, action):
    a, _b, b_agent = two
    login_as(client, a.tenant, a.owner)
    response = client.post(f"/{a.tenant.slug}/console/settings/staff/{b_agent.id}/{action}", data={"role": "admin"})
    assert response.status_code == 404


def test_revoking_another_tenants_invitation_is_404(app, client, two, login_as):
    a, b, _ = two
    b_client = app.test_client()
    login_as(b_client, b.tenant, b.owner)
    b_client.post(f"/{b.tenant.slug}/console/settings/staff/invite", data={"email": "x@example.com", "role": "agent"})
    login_as(client, a.tenant, a.owner)
    assert client.post(f"/{a.tenant.slug}/console/settings/invitations/1/revoke").status_code == 404
    assert client.post(f"/{a.tenant.slug}/console/settings/invitations/999999/revoke").status_code == 404


def test_the_staff_page_of_a_lists_none_of_b(client, two, login_as):
    a, b, b_agent = two
    login_as(client, a.tenant, a.owner)
    body = client.get(f"/{a.tenant.slug}/console/settings/staff").get_data(as_text=True)
    assert b_agent.email not in body
    assert b.owner.email not in body


def test_the_overview_of_a_shows_only_its_own_configuration(client, make_tenant, login_as):
    a = make_tenant(industry="clinic")
    make_tenant(industry="supplier")
    login_as(client, a.tenant, a.owner)
    body = client.get(f"/{a.tenant.slug}/console/").get_data(as_text=True)
    assert "Reception" in body
    assert "Quality control" not in body


def test_b_login_form_refuses_a_credentials(app, two):
    a, b, _ = two
    from tests.fixtures.factories import PASSWORD

    response = app.test_client().post(
        f"/{b.tenant.slug}/console/login", data={"email": a.owner.email, "password": PASSWORD}
    )
    assert response.status_code == 401
