"""The public portal through HTTP, without JavaScript: how to complain, filing with the sum that stands in
for the proof of work, the receipt, tracking by code, proving to be the complainant, and the answers."""

from __future__ import annotations

import base64
import json
import re
from html import unescape

import pytest
import sqlalchemy as sa
from altcha import solve_challenge_v1

from services.complaints import lifecycle
from services.complaints.models import Complaint, ComplaintEvent
from services.complaints.tracking import format_code
from services.notifications.models import Notice
from services.portal.models import SatisfactionRating
from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import StaffMember, Tenant
from tenants.text import persian_digits
from tests.fixtures.app import sent_one_time_code
from tests.test_files import make_pdf


@pytest.fixture
def org(app, make_tenant):
    return make_tenant(locale="fa")


def _form_page(client, slug: str) -> str:
    page = client.get(f"/{slug}/complaints/new")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _sum(html: str) -> str:
    """The answer to the page's sum (its digits may be Persian)."""
    match = re.search(r"([0-9۰-۹]+) \+ ([0-9۰-۹]+)", html)
    digits = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
    return str(int(match.group(1).translate(digits)) + int(match.group(2).translate(digits)))


def _hidden(html: str, name: str) -> str:
    return re.search(rf'<input id="{name}" name="{name}" type="hidden" value="([^"]*)"', html).group(1)


def _filing(html: str, **fields) -> dict:
    data = {
        "submission_key": _hidden(html, "submission_key"),
        "question_token": _hidden(html, "question_token"),
        "question_answer": _sum(html),
        "kind": "complaint",
        "complainant_name": "مریم رضایی",
        "phone": "۰۹۱۲ ۱۲۳ ۴۵۶۷",
        "preferred_contact": "sms",
        "subject": "قطع مکرر اینترنت",
        "description": "سه روز است اینترنت قطع و وصل می‌شود.",
    }
    return data | fields


def _file(client, slug: str, **fields):
    return client.post(f"/{slug}/complaints/new", data=_filing(_form_page(client, slug), **fields))


def _complaint(app, made) -> Complaint:
    with app.app_context(), tenant_scope(made.tenant.id):
        c = db.session.scalars(sa.select(Complaint).order_by(Complaint.id.desc())).first()
        db.session.expunge(c)
        return c


def test_the_portal_tells_how_to_complain(app, org):
    client = app.test_client()
    page = client.get(f"/{org.tenant.slug}/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'dir="rtl"' in html
    assert f"/{org.tenant.slug}/complaints/new" in html
    assert "۴۰" in html  # the promised answer time, in Persian digits


def test_filing_without_javascript_gives_a_receipt_with_the_code_and_a_qr_code(app, org):
    client = app.test_client()
    response = _file(client, org.tenant.slug)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    c = _complaint(app, org)
    assert c.channel == "web"
    assert c.phone == "+989121234567"
    assert c.preferred_locale == "fa"
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert persian_digits(format_code(c.code)) in receipt
    assert "<svg" in receipt
    with app.app_context(), tenant_scope(org.tenant.id):
        assert db.session.scalar(sa.select(Notice.event)) == "registered"


def test_a_double_submit_files_one_complaint(app, org):
    client = app.test_client()
    data = _filing(_form_page(client, org.tenant.slug))
    first = client.post(f"/{org.tenant.slug}/complaints/new", data=data)
    again = client.post(f"/{org.tenant.slug}/complaints/new", data=data)
    assert first.status_code == 303
    assert again.status_code in (303, 422)
    with app.app_context(), tenant_scope(org.tenant.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 1


def test_a_solved_proof_of_work_stands_in_for_the_sum_once(app, org):
    client = app.test_client()
    html = _form_page(client, org.tenant.slug)
    challenge = json.loads(unescape(re.search(r"data-pow='([^']*)'", html).group(1)))
    from altcha import ChallengeV1

    solution = solve_challenge_v1(
        ChallengeV1(
            algorithm=challenge["algorithm"],
            challenge=challenge["challenge"],
            max_number=challenge["maxnumber"],
            salt=challenge["salt"],
            signature=challenge["signature"],
        )
    )
    payload = base64.b64encode(
        json.dumps(
            {
                "algorithm": challenge["algorithm"],
                "challenge": challenge["challenge"],
                "number": solution.number,
                "salt": challenge["salt"],
                "signature": challenge["signature"],
            }
        ).encode()
    ).decode()
    data = _filing(html, question_answer="", altcha=payload)
    assert client.post(f"/{org.tenant.slug}/complaints/new", data=data).status_code == 303
    replay = _filing(_form_page(client, org.tenant.slug), question_answer="", altcha=payload)
    refused = client.post(f"/{org.tenant.slug}/complaints/new", data=replay)
    assert refused.status_code == 422


@pytest.mark.parametrize(
    ("fields", "kept"),
    [
        ({"question_answer": "999"}, "قطع مکرر اینترنت"),
        ({"website": "http://spam.example"}, "قطع مکرر اینترنت"),
        ({"subject": ""}, "سه روز است"),
        ({"phone": "12"}, "قطع مکرر اینترنت"),
        ({"description": "x" * 20_001}, "قطع مکرر اینترنت"),
    ],
)
def test_a_refused_filing_keeps_what_was_typed_and_files_nothing(app, org, fields, kept):
    client = app.test_client()
    response = _file(client, org.tenant.slug, **fields)
    assert response.status_code == 422
    assert kept in response.get_data(as_text=True)
    with app.app_context(), tenant_scope(org.tenant.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0


def test_a_forbidden_file_type_is_refused_with_the_reason(app, org):
    client = app.test_client()
    data = _filing(_form_page(client, org.tenant.slug))
    data["attachments"] = [(__import__("io").BytesIO(b"MZ\x90\x00 not a document"), "invoice.pdf")]
    response = client.post(f"/{org.tenant.slug}/complaints/new", data=data, content_type="multipart/form-data")
    assert response.status_code in (415, 422)
    assert "قطع مکرر اینترنت" in response.get_data(as_text=True)


# Tracking


def test_a_code_is_typed_with_persian_digits_and_spaces_and_a_typo_is_caught(app, org, make_complaint):
    complaint = make_complaint(org)
    client = app.test_client()
    typed = persian_digits(" ".join(format_code(complaint.code).split("-")))
    response = client.post(f"/{org.tenant.slug}/track", data={"code": typed})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/track/{complaint.code}")
    typo = complaint.code[:-1] + str((int(complaint.code[-1]) + 1) % 10)
    refused = client.post(f"/{org.tenant.slug}/track", data={"code": typo})
    assert refused.status_code == 422
    assert "typo" in refused.get_data(as_text=True) or "اشتباه" in refused.get_data(as_text=True)


def test_unknown_and_foreign_codes_get_the_same_answer(app, org, make_tenant, make_complaint):
    other = make_tenant(locale="fa")
    foreign = make_complaint(other)
    client = app.test_client()
    from services.complaints.tracking import new_code

    unknown = client.get(f"/{org.tenant.slug}/track/{new_code()}")
    theirs = client.get(f"/{org.tenant.slug}/track/{foreign.code}")
    assert unknown.status_code == theirs.status_code == 404
    # The pages differ only in the typed code and in CSRF tokens (which carry the second they were made).
    strip = lambda r: re.sub(  # noqa: E731
        r'value="[^"]*"|"X-CSRFToken": "[^"]*"|[0-9۰-۹-]{13,}', "", r.get_data(as_text=True)
    )
    assert strip(unknown) == strip(theirs)


def test_the_slugless_track_page_finds_the_organization(app, org, make_complaint):
    complaint = make_complaint(org)
    client = app.test_client()
    response = client.post("/track", data={"code": format_code(complaint.code)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/{org.tenant.slug}/track/{complaint.code}")
    assert client.post("/track", data={"code": "1" * 13}).status_code in (404, 422)


def test_knowing_the_code_shows_the_state_not_the_person(app, org, make_complaint):
    complaint = make_complaint(org, phone="+98 912 123 4567", description="A private description")
    with app.app_context(), tenant_scope(org.tenant.id):
        c = db.session.get(Complaint, complaint.id)
        owner = db.session.get(StaffMember, org.owner.id)
        lifecycle.acknowledge(owner, c, c.version)
        from services.complaints.operations import add_note, message_customer

        add_note(owner, c.id, "Internal: the supervisor was rude")
        message_customer(owner, c.id, "We called you twice")
        db.session.commit()
    client = app.test_client()
    html = client.get(f"/{org.tenant.slug}/track/{complaint.code}").get_data(as_text=True)
    assert "A private description" not in html
    assert "We called you twice" not in html
    assert "supervisor" not in html
    assert "Aigerim" not in html
    assert 'data-state="acknowledged"' in html


# Proof and the customer's answers


def _prove(app, client, made, complaint):
    url = f"/{made.tenant.slug}/track/{complaint.code}"
    sent = client.post(f"{url}/proof", data={"channel": "sms"})
    assert sent.status_code == 303
    code = sent_one_time_code(app)
    verified = client.post(f"{url}/verify", data={"code": persian_digits(code)})
    assert verified.status_code == 303
    return url


def test_a_proven_customer_reads_replies_rejects_accepts_and_rates(app, org, make_complaint):
    complaint = make_complaint(org, phone="+98 912 123 4567", description="A private description")
    client = app.test_client()
    url = f"/{org.tenant.slug}/track/{complaint.code}"
    assert client.post(f"{url}/message", data={"body": "hello"}).status_code == 403
    url = _prove(app, client, org, complaint)
    assert "A private description" in client.get(url).get_data(as_text=True)
    reply = client.post(
        f"{url}/message",
        data={"body": "Here is the receipt", "files": [(__import__("io").BytesIO(make_pdf()), "receipt.pdf")]},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 303
    with app.app_context(), tenant_scope(org.tenant.id):
        c = db.session.get(Complaint, complaint.id)
        owner = db.session.get(StaffMember, org.owner.id)
        tenant = db.session.get(Tenant, org.tenant.id)
        lifecycle.acknowledge(owner, c, c.version)
        lifecycle.investigate(owner, c, c.version)
        lifecycle.decide(owner, tenant, c, lifecycle.DecisionInput(False, "No fault found"), c.version)
        lifecycle.respond(owner, c, "Our first answer", c.version)
        db.session.commit()
    assert client.post(f"{url}/reject", data={"reject-reason": ""}).status_code == 422
    assert client.post(f"{url}/reject", data={"reject-reason": "You ignored my receipt"}).status_code == 303
    with app.app_context(), tenant_scope(org.tenant.id):
        c = db.session.get(Complaint, complaint.id)
        assert (c.state, c.reopen_count) == ("investigating", 1)
        owner = db.session.get(StaffMember, org.owner.id)
        tenant = db.session.get(Tenant, org.tenant.id)
        lifecycle.decide(owner, tenant, c, lifecycle.DecisionInput(False, "Still no fault"), c.version)
        lifecycle.respond(owner, c, "Our second answer", c.version)
        db.session.commit()
    assert client.post(f"{url}/accept").status_code == 303
    assert client.post(f"{url}/rate", data={"score": "9"}).status_code == 422
    assert client.post(f"{url}/rate", data={"score": "4", "comment": "Slow"}).status_code == 303
    again = client.post(f"{url}/rate", data={"score": "5"})
    assert again.status_code == 303
    with app.app_context(), tenant_scope(org.tenant.id):
        c = db.session.get(Complaint, complaint.id)
        assert c.state == "closed"
        assert db.session.scalar(sa.select(SatisfactionRating.score)) == 4
        kinds = db.session.scalars(
            sa.select(ComplaintEvent.kind).where(ComplaintEvent.actor_kind == "customer").order_by(ComplaintEvent.id)
        ).all()
        assert kinds == ["customer_message", "file", "transition", "transition", "rated"]


def test_a_wrong_or_replayed_proof_code_is_refused_and_attempts_are_limited(app, org, make_complaint):
    complaint = make_complaint(org, phone="+98 912 123 4567")
    client = app.test_client()
    url = f"/{org.tenant.slug}/track/{complaint.code}"
    client.post(f"{url}/proof", data={"channel": "sms"})
    statuses = [client.post(f"{url}/verify", data={"code": "000000"}).status_code for _ in range(6)]
    assert statuses[:5] == [422] * 5
    assert statuses[5] == 429


def test_a_signed_link_proves_the_customer(app, org, make_complaint):
    complaint = make_complaint(org, phone="+98 912 123 4567", description="A private description")
    with app.app_context(), tenant_scope(org.tenant.id):
        from services.portal.operations import link_token

        token = link_token(db.session.get(Complaint, complaint.id))
    client = app.test_client()
    url = f"/{org.tenant.slug}/track/{complaint.code}"
    response = client.get(url, query_string={"t": token})
    assert response.status_code == 303
    assert "A private description" in client.get(url).get_data(as_text=True)
    stranger = app.test_client()
    page = stranger.get(url, query_string={"t": token + "tampered"}).get_data(as_text=True)
    assert "A private description" not in page


def test_a_filing_needs_a_phone_or_an_email(app, org):
    response = _file(app.test_client(), org.tenant.slug, phone="", preferred_contact="")
    assert response.status_code == 422
    assert "قطع مکرر اینترنت" in response.get_data(as_text=True)


@pytest.mark.parametrize("payload", ["MTIz", "InN0cmluZyI=", "eyJzYWx0IjogMX0=", "!!!", "e30="])
def test_a_malformed_proof_of_work_is_no_proof_not_an_error(app, org, payload):
    response = _file(app.test_client(), org.tenant.slug, question_answer="", altcha=payload)
    assert response.status_code == 422


def test_a_wrong_sum_uses_its_page_up(app, org):
    client = app.test_client()
    html = _form_page(client, org.tenant.slug)
    wrong = str(int(_sum(html)) + 1)
    assert (
        client.post(f"/{org.tenant.slug}/complaints/new", data=_filing(html, question_answer=wrong)).status_code == 422
    )
    again = client.post(f"/{org.tenant.slug}/complaints/new", data=_filing(html))
    assert again.status_code == 422


def test_an_expired_or_replayed_one_time_code_is_refused(app, org, make_complaint):
    from datetime import timedelta

    from tenants.db import clock_at, utcnow

    complaint = make_complaint(org, phone="+98 912 123 4567")
    client = app.test_client()
    url = f"/{org.tenant.slug}/track/{complaint.code}"
    client.post(f"{url}/proof", data={"channel": "sms"})
    code = sent_one_time_code(app)
    with clock_at(utcnow() + timedelta(minutes=11)):
        late = client.post(f"{url}/verify", data={"code": code})
    assert late.status_code == 422
    client.post(f"{url}/proof", data={"channel": "sms"})
    code = sent_one_time_code(app)
    assert client.post(f"{url}/verify", data={"code": code}).status_code == 303
    stranger = app.test_client()
    assert stranger.post(f"{url}/verify", data={"code": code}).status_code == 422


def test_a_tenant_kept_by_the_process_is_forgotten_when_it_changes(app, org):
    """The slug cache spares a query per page, but a change made through the app shows at once."""
    client = app.test_client()
    assert client.get(f"/{org.tenant.slug}/").status_code == 200  # now kept
    with app.app_context():
        tenant = db.session.get(Tenant, org.tenant.id)
        tenant.name = "Renamed clinic"
        db.session.commit()
    assert "Renamed clinic" in client.get(f"/{org.tenant.slug}/").get_data(as_text=True)
    with app.app_context():
        db.session.get(Tenant, org.tenant.id).is_active = False
        db.session.commit()
    assert client.get(f"/{org.tenant.slug}/").status_code == 404
