"""Every form posted through htmx answers its error path with a 4xx fragment, never a 500."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import StaffInvitation

HTMX = {"HX-Request": "true"}
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}
JUNK = {"name": "x" * 5000, "email": "@", "role": "emperor", "unit_id": "abc", "due": "13/45/99", "position": "-1"}


def test_inviting_staff_through_htmx_saves_the_invitation(app, client, make_tenant, login_as):
    made = make_tenant()
    login_as(client, made.tenant, made.owner)
    response = client.post(
        f"/{made.tenant.slug}/console/settings/staff/invite",
        data={"email": "new.colleague@example.com", "role": "agent"},
        headers=HTMX,
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert "new.colleague@example.com" in response.get_data(as_text=True)
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffInvitation)) == 1


def test_a_wrong_invitation_through_htmx_comes_back_as_its_form(client, make_tenant, login_as):
    made = make_tenant()
    login_as(client, made.tenant, made.owner)
    response = client.post(
        f"/{made.tenant.slug}/console/settings/staff/invite",
        data={"email": "not an address", "role": "agent"},
        headers=HTMX,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in body
    assert 'value="not an address"' in body
    assert "is-invalid" in body


def _console_posts(app) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods
        and rule.rule.startswith("/<tenant_slug>/console/")
        and not rule.rule.endswith("/logout")
    )


def _url(rule: str, slug: str, ids: dict[str, object]) -> str:
    url = rule.replace("<tenant_slug>", slug)

    def value(match: re.Match) -> str:
        converter, name = (match.group(1) or ""), match.group(2)
        if converter.startswith("any("):
            return converter[4:-1].split(",")[0].strip().strip("'")
        return str(ids.get(name, 1))

    return re.sub(r"<(?:([^:>]+):)?(\w+)>", value, url)


def test_every_console_form_posted_empty_through_htmx_answers_4xx(app, client, make_tenant, make_complaint, login_as):
    """Each POST route of the console and its settings, sent nothing through htmx: a refusal, never a 500."""
    made = make_tenant()
    complaint = make_complaint(made)
    ids = {"complaint_id": complaint.id, "member_id": made.owner.id, "kind": "sms", "step": "acknowledge"}
    login_as(client, made.tenant, made.owner)
    failures = []
    for rule in _console_posts(app):
        url = _url(rule, made.tenant.slug, ids)
        for data in ({}, JUNK):
            for headers in (HTMX, BOOSTED):
                response = client.post(url, data=data, headers=headers)
                if response.status_code >= 500:
                    failures.append((url, bool(data), headers is BOOSTED, response.status_code))
    assert failures == []


@pytest.mark.parametrize(
    "path",
    [
        "/settings/staff/invite",
        "/settings/categories",
        "/settings/calendar/holidays",
        "/settings/deadlines",
        "/settings/escalation",
        "/settings/portal",
        "/settings/form/fields",
        "/complaints/new",
    ],
)
def test_an_empty_settings_form_through_htmx_answers_422_with_its_fragment(client, make_tenant, login_as, path):
    made = make_tenant()
    login_as(client, made.tenant, made.owner)
    response = client.post(f"/{made.tenant.slug}/console{path}", data={}, headers=HTMX)
    assert response.status_code == 422
