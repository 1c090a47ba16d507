"""Staff management by owners and admins: roles, deactivation, the last owner, and role enforcement."""

from __future__ import annotations

import sqlalchemy as sa

from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import StaffMember


def role_of(app, tenant, member_id) -> tuple[str, bool]:
    with app.app_context(), tenant_scope(tenant.id):
        m = db.session.scalar(sa.select(StaffMember).where(StaffMember.id == member_id))
        return m.role, m.is_active


def test_owner_changes_a_role(app, client, make_tenant, make_user, login_as):
    made = make_tenant()
    agent = make_user(made.tenant)
    login_as(client, made.tenant, made.owner)
    response = client.post(f"/{made.tenant.slug}/console/settings/staff/{agent.id}/role", data={"role": "manager"})
    assert response.status_code == 303
    assert role_of(app, made.tenant, agent.id) == ("manager", True)


def test_role_change_by_htmx_answers_with_the_table_fragment(app, client, make_tenant, make_user, login_as):
    made = make_tenant()
    agent = make_user(made.tenant)
    login_as(client, made.tenant, made.owner)
    response = client.post(
        f"/{made.tenant.slug}/console/settings/staff/{agent.id}/role",
        data={"role": "admin"},
        headers={"HX-Request": "true"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="staff-table"')
    assert "<html" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_an_unknown_role_is_refused(app, client, make_tenant, make_user, login_as):
    made = make_tenant()
    agent = make_user(made.tenant)
    login_as(client, made.tenant, made.owner)
    response = client.post(f"/{made.tenant.slug}/console/settings/staff/{agent.id}/role", data={"role": "emperor"})
    assert response.status_code == 422
    assert role_of(app, made.tenant, agent.id) == ("agent", True)


def test_the_last_owner_cannot_be_demoted(app, client, make_tenant, make_user, login_as):
    made = make_tenant()
    second_owner = make_user(made.tenant, role="owner")
    login_as(client, made.tenant, second_owner)
    client.post(f"/{made.tenant.slug}/console/settings/staff/{made.owner.id}/role", data={"role": "agent"})
    assert role_of(app, made.tenant, made.owner.id) == ("agent", True)
    response = client.post(f"/{made.tenant.slug}/console/settings/staff/{made.owner.id}/role", data={"role": "owner"})
    assert response.status_code == 303
    # now demote the other owner, then try to demote the last one from an admin account
    admin = make_user(made.tenant, role="admin")
    admin_client = app.test_client()
    login_as(admin_client, made.tenant, admin)
    refused = admin_client.post(
        f"/{made.tenant.slug}/console/settings/staff/{second_owner.id}/role", data={"role": "agent"}
    )
    assert refused.status_code == 403


def test_an_owner_cannot_deactivate_themselves(app, client, make_tenant, login_as):
    made = make_tenant()
    login_as(client, made.tenant, made.owner)
    response = client.post(f"/{made.tenant.slug}/console/settings/staff/{made.owner.id}/deactivate")
    assert response.status_code == 409
    assert "cannot deactivate yourself" in response.get_data(as_text=True)
    assert role_of(app, made.tenant, made.owner.id) == ("owner", True)


def test_deactivated_member_keeps_their_record_and_can_be_reactivated(app, client, make_tenant, make_user, login_as):
    made = make_tenant()
    agent = make_user(made.tenant)
    login_as(client, made.tenant, made.owner)
    client.post(f"/{made.tenant.slug}/console/settings/staff/{agent.id}/deactivate")
    assert role_of(app, made.tenant, agent.id) == ("agent", False)
    client.post(f"/{made.tenant.slug}/console/settings/staff/{agent.id}/reactivate")
    assert role_of(app, made.tenant, agent.id) == ("agent", True)


def test_roles_below_admin_cannot_open_staff_settings(app, make_tenant, make_user, login_as):
    made = make_tenant()
    for role in ("manager", "agent", "unit_member"):
        member = make_user(made.tenant, role=role)
        client = app.test_client()
        login_as(client, made.tenant, member)
        assert client.get(f"/{made.tenant.slug}/console/settings/staff").status_code == 403
        assert client.get(f"/{made.tenant.slug}/console/").status_code == 200


def test_services_enforce_roles_without_the_web(app, make_tenant, make_user):
    import pytest

    from tenants.accounts import deactivate_staff
    from tenants.roles import Forbidden

    made = make_tenant()
    agent = make_user(made.tenant)
    with app.app_context(), tenant_scope(made.tenant.id):
        actor = db.session.get(StaffMember, agent.id)
        with pytest.raises(Forbidden):
            deactivate_staff(actor, made.owner.id)


def test_the_staff_list_asks_a_fixed_number_of_queries(client, make_tenant, make_user, login_as, count_queries):
    made = make_tenant()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/settings/staff"
    few = count_queries(client, url)
    for _ in range(6):
        make_user(made.tenant)
    assert count_queries(client, url) == few
