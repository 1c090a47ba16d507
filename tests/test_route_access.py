"""Every route of an organization declares who may use it once, and the check runs before the view: walking the
URL map proves no tenant route lets an anonymous visitor, another organization's staff, or a role without the
permission through."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter, Rule

from tenants.roles import can
from web.tenancy import PUBLIC, STAFF, access_of

# Routes anyone may use: the portal and its directory, the intake callbacks, logging in, the language switch.
PUBLIC_ENDPOINTS = {
    "auth.accept",
    "auth.forgot_password",
    "auth.login",
    "auth.reset",
    # A log-in waiting for its second factor is no staff session yet: these check that it waits, themselves.
    "auth.second_factor",
    "auth.passkey_options",
    "auth.passkey_verify",
    "auth.logout",
    # The organization's identity provider: off to it, and back (the state proves the flow began here).
    "auth.sso_start",
    "auth.sso_callback",
    "common.set_language",
}
PUBLIC_BLUEPRINTS = {"portal", "intake"}


def _value(rule: Rule, name: str, number: str = "1") -> str:
    converter = rule._converters[name]
    if type(converter).__name__ == "AnyConverter":
        return next(iter(converter.items))
    if isinstance(converter, IntegerConverter):
        return number
    return "x"


def _path(rule: Rule, slug: str) -> str:
    values = {name: _value(rule, name) for name in rule.arguments if name != "tenant_slug"}
    return rule.build({**values, "tenant_slug": slug}, append_unknown=False)[1]


def _tenant_rules(app) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if "tenant_slug" in r.arguments]


def _guarded(app) -> list[tuple[Rule, str]]:
    """Each tenant route that is not public, with a method it answers."""
    found = []
    with app.test_request_context():
        for rule in _tenant_rules(app):
            if access_of(rule.endpoint) == PUBLIC:
                continue
            method = "GET" if "GET" in rule.methods else "POST"
            found.append((rule, method))
    return found


def test_every_tenant_route_is_on_a_tenant_blueprint_and_declares_its_access(app):
    with app.test_request_context():
        for rule in _tenant_rules(app):
            assert access_of(rule.endpoint) is not None, rule.endpoint


def test_the_public_routes_are_exactly_the_portal_intake_and_login_pages(app):
    with app.test_request_context():
        public = {
            r.endpoint
            for r in _tenant_rules(app)
            if access_of(r.endpoint) == PUBLIC and r.endpoint.split(".")[0] not in PUBLIC_BLUEPRINTS
        }
        for rule in _tenant_rules(app):
            if rule.endpoint.split(".")[0] in PUBLIC_BLUEPRINTS:
                assert access_of(rule.endpoint) == PUBLIC, rule.endpoint
    assert public == PUBLIC_ENDPOINTS


def test_an_anonymous_visitor_is_sent_to_the_log_in_page_from_every_guarded_route(app, client, make_tenant):
    made = make_tenant()
    guarded = _guarded(app)
    assert len(guarded) > 60
    for rule, method in guarded:
        path = _path(rule, made.tenant.slug)
        response = client.open(path, method=method)
        assert response.status_code == 303, (rule.rule, response.status_code)
        assert response.headers["Location"].startswith(f"/{made.tenant.slug}/console/login"), rule.rule
        htmx = client.open(path, method=method, headers={"HX-Request": "true"})
        assert htmx.status_code == 204, rule.rule
        assert htmx.headers["HX-Redirect"].startswith(f"/{made.tenant.slug}/console/login"), rule.rule


def test_another_organizations_owner_is_sent_to_this_ones_log_in_page(app, client, make_tenant, login_as):
    mine, theirs = make_tenant(), make_tenant()
    login_as(client, theirs.tenant, theirs.owner)
    for rule, method in _guarded(app):
        response = client.open(_path(rule, mine.tenant.slug), method=method)
        assert response.status_code == 303, rule.rule
        assert response.headers["Location"].startswith(f"/{mine.tenant.slug}/console/login"), rule.rule


@pytest.mark.parametrize("role", ["agent", "manager", "unit_member", "auditor"])
def test_a_role_without_the_permission_is_refused_every_route_that_asks_for_it(  # noqa: PLR0917
    app, client, make_tenant, make_user, login_as, role
):
    made = make_tenant()
    member = make_user(made.tenant, role=role)
    login_as(client, made.tenant, member)
    checked = 0
    with app.test_request_context():
        levels = {rule.endpoint: access_of(rule.endpoint) for rule, _m in _guarded(app)}
    for rule, method in _guarded(app):
        level = levels[rule.endpoint]
        if level == STAFF or can(role, level):
            continue
        response = client.open(_path(rule, made.tenant.slug), method=method)
        assert response.status_code == 403, (rule.rule, response.status_code)
        checked += 1
    assert checked > (15 if role == "auditor" else 40)


def test_an_unknown_organization_is_404_before_any_log_in(app, client):
    for rule, method in _guarded(app):
        assert client.open(_path(rule, "no-such-org"), method=method).status_code == 404, rule.rule


@pytest.mark.parametrize("number", [2**31, 2**40, 10**30])
def test_an_id_larger_than_any_row_is_refused_on_every_route(app, make_tenant, login_as, number):
    """Any id in an address past a database integer is a row that does not exist, not the database's error (on
    PostgreSQL "out of range", on SQLite an overflow, both a 500 before)."""
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    tried = 0
    for rule in _tenant_rules(app):
        if not any(isinstance(rule._converters[name], IntegerConverter) for name in rule.arguments):
            continue
        path = "/" + "/".join(
            made.tenant.slug if part == "<tenant_slug>" else part for part in rule.rule.strip("/").split("/")
        )
        for name in rule.arguments - {"tenant_slug"}:
            path = path.replace(f"<int:{name}>", str(number)).replace(f"<{name}>", _value(rule, name))
            path = path.replace(f"<path:{name}>", "x")
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(path, method=method)
        # 405 where the address is another route's, of other methods (an id past the range matches no int)
        assert response.status_code in {404, 405}, (rule.rule, response.status_code)
        tried += 1
    assert tried > 20
