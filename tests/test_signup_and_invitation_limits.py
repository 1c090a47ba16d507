"""Sign-up asks for the portal's proof that a person is there and is limited per visitor; invitations are limited
per organization and day, and name the person who sent them and their address."""

from __future__ import annotations

import base64
import json
import re
from html import unescape

import sqlalchemy as sa
from altcha import ChallengeV1, solve_challenge_v1

from tenants.context import platform_scope
from tenants.db import db
from tenants.models import Tenant
from tests.fixtures.accounts import SIGNUP, post_signup, sent_links, signup_proof


def _tenants(app) -> int:
    with app.app_context(), platform_scope():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Tenant))


def _org(n: int) -> dict[str, str]:
    return SIGNUP | {"slug": f"clinic-{n}", "owner_email": f"owner{n}@clinic{n}.example.com"}


def test_a_sign_up_without_a_proof_is_refused_and_keeps_what_was_typed(client):
    response = client.post("/signup", data=SIGNUP)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "so we know a person is signing up" in page
    assert 'value="Shifa Clinic"' in page
    assert _tenants(client.application) == 0


def test_a_wrong_sum_is_refused_and_its_page_is_used_up(client):
    proof = signup_proof(client)
    wrong = client.post("/signup", data=SIGNUP | proof | {"question_answer": str(int(proof["question_answer"]) + 1)})
    assert wrong.status_code == 422
    assert client.post("/signup", data=SIGNUP | proof).status_code == 422  # the same token again
    assert _tenants(client.application) == 0


def test_a_solved_proof_of_work_signs_up_as_a_browser_with_javascript_does(client):
    page = client.get("/signup").get_data(as_text=True)
    challenge = json.loads(unescape(re.search(r"data-pow='([^']*)'", page).group(1)))
    solution = solve_challenge_v1(
        ChallengeV1(
            algorithm=challenge["algorithm"],
            challenge=challenge["challenge"],
            max_number=challenge["maxnumber"],
            salt=challenge["salt"],
            signature=challenge["signature"],
        )
    )
    fields = ("algorithm", "challenge", "salt", "signature")
    payload = {k: challenge[k] for k in fields} | {"number": solution.number}
    altcha = base64.b64encode(json.dumps(payload).encode()).decode()
    assert client.post("/signup", data=SIGNUP | {"altcha": altcha}).status_code == 303
    assert _tenants(client.application) == 1
    replay = SIGNUP | {"altcha": altcha, "slug": "another", "owner_email": "x@another.example.com"}
    assert client.post("/signup", data=replay).status_code == 422  # a proof is good for one sign-up


def test_one_visitor_signs_up_only_so_many_organizations(make_app):
    app = make_app(RATELIMITS={"signup_ip": "3/hour"})
    statuses = [post_signup(app.test_client(), _org(n)).status_code for n in range(5)]
    assert statuses == [303, 303, 303, 429, 429]
    assert _tenants(app) == 3
    other = app.test_client()
    assert post_signup(other, _org(9) | {}).status_code == 429  # the same address, another browser
    elsewhere = app.test_client()
    page = elsewhere.get("/signup", environ_base={"REMOTE_ADDR": "10.9.0.1"}).get_data(as_text=True)
    from tests.fixtures.portal import hidden, sum_answer

    proof = {"question_token": hidden(page, "question_token"), "question_answer": sum_answer(page)}
    response = elsewhere.post("/signup", data=_org(10) | proof, environ_base={"REMOTE_ADDR": "10.9.0.1"})
    assert response.status_code == 303


def test_invitations_are_limited_per_organization_and_day(make_app, make_tenant, login_as):
    app = make_app(RATELIMITS={"invitations_tenant": "2/day"})
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/settings/staff/invite"
    statuses = [client.post(url, data={"email": f"someone{n}@example.com", "role": "agent"}) for n in range(3)]
    assert [s.status_code for s in statuses[:2]] == [303, 303]
    assert statuses[2].status_code == 429  # too many today: the form again, with what to do
    assert "as many invitations as it may today" in statuses[2].get_data(as_text=True)
    assert len(app.extensions.get("dadras.sent_mail", [])) == 2


def test_an_invitation_names_who_sent_it_and_their_address(app, make_tenant, login_as):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    client.post(
        f"/{made.tenant.slug}/console/settings/staff/invite", data={"email": "new@example.com", "role": "agent"}
    )
    assert sent_links(app)
    body = app.extensions["dadras.sent_mail"][-1].get_body(("plain",)).get_content()
    assert f"{made.owner.name} ({made.owner.email}) invites you" in body
    assert f"whose address is {made.owner.email}" in body
