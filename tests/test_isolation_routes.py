"""A second tenant sees nothing of the first through any route."""

from __future__ import annotations

import re
from datetime import date

import pytest


@pytest.fixture
def two(make_tenant, make_user):
    a, b = make_tenant(), make_tenant()
    b_agent = make_user(b.tenant)
    return a, b, b_agent


def test_staff_of_a_are_sent_to_the_login_page_of_b_for_every_console_url_of_b(client, two, login_as):
    a, b, _ = two
    login_as(client, a.tenant, a.owner)
    for path in ("/console/", "/console/settings/staff"):
        response = client.get(f"/{b.tenant.slug}{path}")
        assert response.status_code == 303, path
        assert response.headers["Location"].startswith(f"/{b.tenant.slug}/console/login"), path
    login_page = client.get(f"/{b.tenant.slug}/console/login?next=/{b.tenant.slug}/console/")
    assert login_page.status_code == 200
    assert b.tenant.name in login_page.get_data(as_text=True)
    # still logged in to A
    assert client.get(f"/{a.tenant.slug}/console/").status_code == 200


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
    body = client.get(f"/{a.tenant.slug}/console/settings/").get_data(as_text=True)
    assert "Reception" in body
    assert "Quality control" not in body


def test_b_login_form_refuses_a_credentials(app, two):
    a, b, _ = two
    from tests.fixtures.factories import PASSWORD

    response = app.test_client().post(
        f"/{b.tenant.slug}/console/login", data={"email": a.owner.email, "password": PASSWORD}
    )
    assert response.status_code == 401


SECRET = "Sekret-B-7731"
# Enough for most forms to pass validation, so that the lookup by id is what refuses.
POSTED = {"body": "x", "version": "1", "name_en": "x", "reasons": "x", "justified": "yes", "status": "done"}


def _b_world(app, b, make_complaint):
    """Rows of every kind in tenant B, with a marker text; returns their ids by URL parameter name."""
    import sqlalchemy as sa

    from services.calendar.models import DeadlineRule, Holiday
    from services.catalog.models import Category, RootCause, Unit
    from services.complaints import actions as corrective
    from services.complaints.models import Complaint
    from services.complaints.operations import attach_file
    from services.files.checking import check_upload
    from services.files.storage import storage_from_config
    from tenants.context import tenant_scope
    from tenants.db import db
    from tenants.models import StaffMember
    from tests.fixtures.files import make_pdf

    complaint = make_complaint(b, subject=SECRET, complainant_name=SECRET)
    with app.app_context(), tenant_scope(b.tenant.id):
        owner = db.session.get(StaffMember, b.owner.id)
        c = db.session.get(Complaint, complaint.id)
        c.state = "investigating"
        attachment = attach_file(
            owner,
            c,
            check_upload(make_pdf(), "x.pdf", max_bytes=10**7),
            storage_from_config(app.config["UPLOAD_STORAGE"]),
        )
        action = corrective.add_action(owner, c.id, corrective.ActionInput(SECRET, None, SECRET))
        holiday = Holiday(day=date(2030, 1, 1), name=SECRET)
        db.session.add(holiday)
        from services.notifications.models import Notice

        notice = Notice(
            complaint_id=c.id,
            event="registered",
            channel="email",
            recipient=f"{SECRET}@example.com",
            locale="en",
            body=SECRET,
            status="failed",
            last_error=SECRET,
            idempotency_key=SECRET,
        )
        db.session.add(notice)
        from tenants.security import StaffFactor
        from tenants.sessions import open_session

        session_row, _key = open_session(owner)
        factor = StaffFactor(
            staff_member_id=owner.id,
            kind="passkey",
            name=SECRET,
            credential_id=SECRET,
            public_key="x",
            confirmed_at=c.received_at,
        )
        db.session.add(factor)
        db.session.commit()
        return {
            "session_id": session_row.id,
            "factor_id": factor.id,
            "complaint_id": c.id,
            "attachment_id": attachment.id,
            "action_id": action.id,
            "member_id": b.owner.id,
            "holiday_id": holiday.id,
            "notice_id": notice.id,
            "rule_id": db.session.scalar(sa.select(DeadlineRule.id)),
            "invitation_id": 1,
            "categories": db.session.scalar(sa.select(Category.id)),
            "units": db.session.scalar(sa.select(Unit.id)),
            "root-causes": db.session.scalar(sa.select(RootCause.id)),
        }


def _snapshot(app, tenant_id):
    import sqlalchemy as sa

    from tenants.context import tenant_scope
    from tenants.db import Base, db

    with app.app_context(), tenant_scope(tenant_id):
        snapshot = {}
        for mapper in Base.registry.mappers:
            model = mapper.class_
            if "tenant_id" in mapper.columns:
                rows = db.session.scalars(sa.select(model)).all()
                snapshot[model.__tablename__] = sorted(
                    repr(sorted((c.key, getattr(row, c.key)) for c in mapper.column_attrs)) for row in rows
                )
        return snapshot


def _console_rules(app):
    """Every staff route (the console and the settings); the public login and reset pages aside."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("console.", "settings.", "account.")):
            yield rule


def test_no_console_route_shows_or_changes_anything_of_another_tenant(app, make_tenant, make_complaint, login_as):
    a, b = make_tenant(), make_tenant()
    ids = _b_world(app, b, make_complaint)
    before = _snapshot(app, b.tenant.id)
    client = app.test_client()
    login_as(client, a.tenant, a.owner)
    checked = 0
    for rule in _console_rules(app):
        for kind in ("categories", "units", "root-causes") if "kind" in rule.arguments else (None,):
            values = {name: ids.get(kind if name == "row_id" else name, 1) for name in rule.arguments}
            values.pop("tenant_slug", None)
            if kind:
                values["kind"] = kind
            if "step" in rule.arguments:
                values["step"] = "withdraw"
            path = rule.rule
            for name, value in values.items():
                path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
                path = path.replace(f"<any(categories, units, 'root-causes'):{name}>", str(value))
            path = re.sub(r"<any\(([^,)]+)[^>]*>", lambda m: m.group(1).strip("'"), path)
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                for slug in (a.tenant.slug, b.tenant.slug):
                    url = path.replace("<tenant_slug>", slug)
                    response = client.open(url, method=method, data=POSTED if method == "POST" else None)
                    text = response.get_data(as_text=True)
                    assert SECRET not in text, url
                    if slug == b.tenant.slug:
                        # B's console asks A's staff to log in to B, and shows or changes nothing of B.
                        assert response.status_code == 303, url
                        assert response.headers["Location"].startswith(f"/{b.tenant.slug}/console/login"), url
                    elif any(name in rule.arguments for name in ids) or "row_id" in rule.arguments:
                        assert response.status_code in (403, 404, 409, 422), (method, url, response.status_code)
                    checked += 1
    assert checked > 40
    assert _snapshot(app, b.tenant.id) == before


def test_no_portal_route_shows_or_changes_anything_of_another_tenant(app, make_tenant, make_complaint):
    """Every portal URL of A, given B's code and file ids, even by a browser that proved itself on B: 404."""
    from tenants.context import tenant_scope
    from tenants.db import db

    a, b = make_tenant(), make_tenant()
    ids = _b_world(app, b, make_complaint)
    with app.app_context(), tenant_scope(b.tenant.id):
        from services.complaints.models import Complaint
        from services.notifications.links import link_token

        complaint = db.session.get(Complaint, ids["complaint_id"])
        code, token = complaint.code, link_token(complaint)
    before = _snapshot(app, b.tenant.id)
    client = app.test_client()
    assert client.get(f"/{b.tenant.slug}/track/{code}", query_string={"t": token}).status_code == 303
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("portal.") or "code" not in rule.arguments:
            continue
        path = rule.rule.replace("<tenant_slug>", a.tenant.slug).replace("<code>", code)
        path = path.replace("<int:attachment_id>", str(ids["attachment_id"]))
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            data = {"body": "x", "reason": "x", "reject-reason": "x", "withdraw-reason": "x", "score": "5"}
            response = client.open(path, method=method, data=data if method == "POST" else None)
            assert response.status_code == 404, (method, path, response.status_code)
            assert SECRET not in response.get_data(as_text=True)
            checked += 1
        with_token = client.get(f"/{a.tenant.slug}/track/{code}", query_string={"t": token})
        assert with_token.status_code == 404
    assert checked >= 9
    assert _snapshot(app, b.tenant.id) == before
