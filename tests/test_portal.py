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
from services.complaints.models import Complaint, ComplaintEvent, SatisfactionRating
from services.notifications.models import Notice
from services.tracking import format_code
from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import StaffMember, Tenant
from tenants.text import persian_digits
from tests.fixtures.app import sent_one_time_code
from tests.fixtures.files import make_pdf
from tests.fixtures.portal import file_complaint as _file
from tests.fixtures.portal import filing as _filing
from tests.fixtures.portal import form_page as _form_page
from tests.fixtures.portal import sum_answer as _sum


@pytest.fixture
def org(app, make_tenant):
    return make_tenant(locale="fa")


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
        assert db.session.scalar(sa.select(Notice.event).order_by(Notice.id)) == "registered"


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
    # Another complaint (the same content would be the same complaint, answered with its receipt).
    replay = _filing(_form_page(client, org.tenant.slug), question_answer="", altcha=payload, subject="Another one")
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
    from services.tracking import new_code

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


def test_a_wrong_proof_code_is_refused_and_wrong_tries_void_the_code(app, org, make_complaint):
    complaint = make_complaint(org, phone="+98 912 123 4567")
    client = app.test_client()
    url = f"/{org.tenant.slug}/track/{complaint.code}"
    client.post(f"{url}/proof", data={"channel": "sms"})
    wrong = "000000" if sent_one_time_code(app) != "000000" else "111111"
    answers = [client.post(f"{url}/verify", data={"code": wrong}) for _ in range(6)]
    assert [a.status_code for a in answers] == [422] * 6
    assert "دیگر معتبر نیست" in answers[5].get_data(as_text=True)  # "no longer works"


def test_a_signed_link_proves_the_customer(app, org, make_complaint):
    complaint = make_complaint(org, phone="+98 912 123 4567", description="A private description")
    with app.app_context(), tenant_scope(org.tenant.id):
        from services.notifications.links import link_token

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


# Going back and sending again, switching language, limits, dates and the rating


def _count(app, made) -> int:
    with app.app_context(), tenant_scope(made.tenant.id):
        return db.session.scalar(sa.select(sa.func.count()).select_from(Complaint))


def test_the_same_content_sent_again_from_a_fresh_form_shows_the_first_receipt(app, org):
    """Going back after filing may bring a new copy of the form (a new key): the same content is the same
    complaint, answered with its receipt; other content, or another browser, files its own."""
    client = app.test_client()
    slug = org.tenant.slug
    first = _file(client, slug)
    assert first.status_code == 303
    again = _file(client, slug)
    assert again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert _count(app, org) == 1
    assert client.get(again.headers["Location"]).status_code == 200  # the receipt, proven in this browser
    assert _file(client, slug, subject="Another matter").headers["Location"] != first.headers["Location"]
    assert _file(app.test_client(), slug).status_code == 303
    assert _count(app, org) == 3


def test_switching_language_on_the_form_keeps_what_was_typed(app, org):
    client = app.test_client()
    slug = org.tenant.slug
    html = _form_page(client, slug)
    assert 'lang="fa"' in html
    data = _filing(html) | {"lang": "ru", "switch_language": "1", "remedy_sought": "Вернуть деньги"}
    switched = client.post(f"/{slug}/complaints/new", data=data)
    page = switched.get_data(as_text=True)
    assert switched.status_code == 200
    assert 'lang="ru"' in page
    assert "Подать жалобу" in page or "жалоб" in page
    for typed in ("مریم رضایی", "قطع مکرر اینترنت", "سه روز است اینترنت قطع و وصل می‌شود.", "Вернуть деньги"):
        assert typed in page
    assert f'value="{data["submission_key"]}"' in page  # the same form: sending it files it once
    assert 'class="invalid-feedback' not in page  # nothing was checked
    assert _count(app, org) == 0
    # The next page is in Russian too, and the form, sent, files one complaint.
    assert 'lang="ru"' in _form_page(client, slug)
    sent = client.post(f"/{slug}/complaints/new", data=_filing(page) | {"submission_key": data["submission_key"]})
    assert sent.status_code == 303
    assert _count(app, org) == 1


def test_a_language_not_offered_keeps_the_form_and_says_so(app, org):
    client = app.test_client()
    data = _filing(_form_page(client, org.tenant.slug)) | {"lang": "xx", "switch_language": "1"}
    refused = client.post(f"/{org.tenant.slug}/complaints/new", data=data)
    assert refused.status_code == 400
    assert "قطع مکرر اینترنت" in refused.get_data(as_text=True)
    assert _count(app, org) == 0


def test_a_visitor_over_the_filing_limit_keeps_what_was_typed(app, org):
    app.config["RATELIMITS"] = app.config["RATELIMITS"] | {"portal_file_ip": "1/hour"}
    client = app.test_client()
    assert _file(client, org.tenant.slug).status_code == 303
    refused = _file(client, org.tenant.slug, subject="دومین شکایت")
    assert refused.status_code == 429
    assert "دومین شکایت" in refused.get_data(as_text=True)
    assert 'id="form-notice"' in refused.get_data(as_text=True)
    assert _count(app, org) == 1


def test_a_refused_filing_with_files_asks_for_the_files_again(app, org):
    client = app.test_client()
    data = _filing(_form_page(client, org.tenant.slug), question_answer="999")
    data["attachments"] = [(__import__("io").BytesIO(make_pdf()), "receipt.pdf")]
    refused = client.post(f"/{org.tenant.slug}/complaints/new", data=data, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert 'id="files-dropped"' in refused.get_data(as_text=True)
    assert 'id="files-dropped"' not in _file(client, org.tenant.slug, question_answer="999").get_data(as_text=True)


def _answer(app, made, complaint_id: int, text: str) -> None:
    with app.app_context(), tenant_scope(made.tenant.id):
        c = db.session.get(Complaint, complaint_id)
        owner = db.session.get(StaffMember, made.owner.id)
        tenant = db.session.get(Tenant, made.tenant.id)
        if c.state == "received":
            lifecycle.acknowledge(owner, c, c.version)
            lifecycle.investigate(owner, c, c.version)
        lifecycle.decide(owner, tenant, c, lifecycle.DecisionInput(False, "No fault found"), c.version)
        lifecycle.respond(owner, c, text, c.version)
        db.session.commit()


def test_a_proven_complainant_is_never_counted_and_a_stranger_still_is(app, org, make_complaint):
    """Many customers share one address: reading and answering one's own complaint is never limited."""
    app.config["RATELIMITS"] = app.config["RATELIMITS"] | {"portal_track_ip": "4/10 minutes"}
    app.config["RATELIMITS"]["portal_track_code"] = "4/10 minutes"
    complaint = make_complaint(org, phone="+98 912 123 4567")
    client = app.test_client()
    url = _prove(app, client, org, complaint)  # two lookups as a stranger
    statuses = [client.get(url).status_code for _ in range(10)]
    statuses += [client.post(f"{url}/message", data={"body": f"Message {n}"}).status_code for n in range(6)]
    _answer(app, org, complaint.id, "First answer")
    statuses.append(client.post(f"{url}/reject", data={"reject-reason": "Not enough"}).status_code)
    _answer(app, org, complaint.id, "Second answer")
    statuses.append(client.post(f"{url}/accept").status_code)
    statuses.append(client.post(f"{url}/rate", data={"score": "5", "comment": "Good"}).status_code)
    statuses += [client.get(url).status_code for _ in range(5)]
    assert 429 not in statuses, statuses
    assert statuses[-1] == 200
    with app.app_context(), tenant_scope(org.tenant.id):
        assert db.session.scalar(sa.select(SatisfactionRating.comment)) == "Good"
    stranger = app.test_client()  # the same address, no proof
    looked = [stranger.get(url).status_code for _ in range(3)]
    assert looked[-1] == 429, looked
    typed = stranger.post(f"/{org.tenant.slug}/track", data={"code": format_code(complaint.code)})
    assert typed.status_code == 429
    assert f'value="{format_code(complaint.code)}"' in typed.get_data(as_text=True)  # the typed code is kept
    slugless = stranger.post("/track", data={"code": format_code(complaint.code)})
    assert slugless.status_code == 429
    assert f'value="{format_code(complaint.code)}"' in slugless.get_data(as_text=True)


def _set_auto_close(app, made, days: int) -> None:
    from services.portal.models import PortalSettings

    with app.app_context(), tenant_scope(made.tenant.id):
        db.session.add(PortalSettings(auto_close_days=days, auto_close_notice_days=min(days, 3)))
        db.session.commit()


def test_after_an_answer_the_customer_is_given_the_day_it_closes_by_itself(app, org, make_complaint):
    from datetime import timedelta

    from services.i18n import format_moment

    _set_auto_close(app, org, 10)
    complaint = make_complaint(org, phone="+98 912 123 4567")
    _answer(app, org, complaint.id, "Our answer")
    with app.app_context(), tenant_scope(org.tenant.id):
        c = db.session.get(Complaint, complaint.id)
        closes = format_moment(c.responded_at + timedelta(days=10), "fa", org.tenant.timezone, "date")
        resolve = format_moment(c.resolve_due_at, "fa", org.tenant.timezone, "date")
    assert closes != resolve
    html = app.test_client().get(f"/{org.tenant.slug}/track/{complaint.code}").get_data(as_text=True)
    due = re.search(r'<p class="mb-0" id="due">(.*?)</p>', html, re.S).group(1)
    assert closes in due
    assert resolve not in due


def test_an_organization_that_never_closes_by_itself_gives_no_day_to_answer_by(app, org, make_complaint):
    _set_auto_close(app, org, 0)
    complaint = make_complaint(org, phone="+98 912 123 4567")
    _answer(app, org, complaint.id, "Our answer")
    html = app.test_client().get(f"/{org.tenant.slug}/track/{complaint.code}").get_data(as_text=True)
    with app.test_request_context():
        from flask_babel import force_locale
        from flask_babel import gettext as _

        with force_locale("fa"):
            answer_by = _("Please answer by")
    assert 'data-state="responded"' in html
    assert answer_by not in html


def test_after_rating_the_page_shows_the_rating_given_and_asks_no_more(app, org, make_complaint):
    complaint = make_complaint(org, phone="+98 912 123 4567")
    client = app.test_client()
    url = _prove(app, client, org, complaint)
    _answer(app, org, complaint.id, "Our answer")
    assert client.post(f"{url}/accept").status_code == 303
    before = client.get(url).get_data(as_text=True)
    assert f'action="{url}/rate"' in before
    rated = client.post(f"{url}/rate", data={"score": "4", "comment": "پاسخ کمی دیر رسید"})
    html = client.get(rated.headers["Location"]).get_data(as_text=True)
    assert f'action="{url}/rate"' not in html
    assert 'data-score="4"' in html
    assert "پاسخ کمی دیر رسید" in html
    assert "Please tell us how we handled it" not in html
    with app.test_request_context():
        from flask_babel import force_locale
        from flask_babel import gettext as _

        with force_locale("fa"):
            asked = _("The complaint is closed. Please tell us how we handled it.")
            thanked = _("You rated the handling %(score)s of 5. Thank you.", score=persian_digits("4"))
    assert asked not in html
    assert thanked in html


def test_a_proof_that_lapsed_while_typing_gives_back_what_was_written(app, org, make_complaint):
    complaint = make_complaint(org, phone="+98 912 123 4567")
    client = app.test_client()
    url = _prove(app, client, org, complaint)
    with client.session_transaction() as session:
        session["portal"] = {key: dict.fromkeys(proofs, 0.0) for key, proofs in session["portal"].items()}
    refused = client.post(f"{url}/message", data={"body": "یک پیام طولانی که نباید گم شود"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert re.search(r'<textarea[^>]*id="unsent"[^>]*>یک پیام طولانی که نباید گم شود</textarea>', html)
    assert f'action="{url}/verify"' in html
    with app.app_context(), tenant_scope(org.tenant.id):
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(ComplaintEvent).where(ComplaintEvent.kind == "customer_message")
            )
            == 0
        )


def test_a_required_topic_is_marked_and_starts_on_the_empty_choice(app, org):
    from services.forms.schema import publish, set_core

    with app.app_context(), tenant_scope(org.tenant.id):
        owner = db.session.get(StaffMember, org.owner.id)
        set_core(owner, {"category_id": "required", "phone": "required"})
        publish(owner)
        db.session.commit()
    client = app.test_client()
    html = _form_page(client, org.tenant.slug)
    select = re.search(r'<label class="form-label" for="category_id">(.*?)</select>', html, re.S).group(1)
    assert "*" in select.split("</label>")[0]
    options = re.findall(r"<option([^>]*)>", select)
    assert 'value=""' in options[0]
    assert "selected" in options[0]
    assert not any("selected" in o for o in options[1:])
    assert "*" in re.search(r'<label class="form-label" for="phone">(.*?)</label>', html, re.S).group(1)
    refused = client.post(f"/{org.tenant.slug}/complaints/new", data=_filing(html))
    assert refused.status_code == 422
    assert "قطع مکرر اینترنت" in refused.get_data(as_text=True)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_an_expired_page_on_the_status_page_gives_back_what_was_typed(make_app, org, make_complaint):
    """With CSRF on: a wrong token keeps the message typed, and a lost session gives it back to prove again."""
    app = make_app(WTF_CSRF_ENABLED=True)
    complaint = make_complaint(org, phone="+98 912 123 4567")
    client = app.test_client()
    url = f"/{org.tenant.slug}/track/{complaint.code}"
    token = _token(client.get(url).get_data(as_text=True))
    assert client.post(f"{url}/proof", data={"channel": "sms", "csrf_token": token}).status_code == 303
    code = sent_one_time_code(app)
    assert client.post(f"{url}/verify", data={"code": code, "csrf_token": token}).status_code == 303
    typed = "پیامی که با صفحهٔ قدیمی فرستاده شد"
    stale = client.post(f"{url}/message", data={"body": typed, "csrf_token": "stale"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 422
    assert re.search(rf'<textarea[^>]*name="body"[^>]*>\s*{typed}</textarea>', html)
    assert 'class="alert alert-danger"' in html
    reason = client.post(f"{url}/withdraw", data={"withdraw-reason": "دیگر لازم نیست", "csrf_token": "stale"})
    assert reason.status_code == 422
    assert "دیگر لازم نیست" in reason.get_data(as_text=True)
    lost = app.test_client().post(f"{url}/message", data={"body": typed, "csrf_token": token})
    assert lost.status_code == 403
    assert typed in lost.get_data(as_text=True)
    assert client.post(f"{url}/message", data={"body": typed, "csrf_token": token}).status_code == 303
    with app.app_context(), tenant_scope(org.tenant.id):
        kinds = db.session.scalars(sa.select(ComplaintEvent.kind).where(ComplaintEvent.actor_kind == "customer"))
        assert list(kinds) == ["customer_message"]  # the refused steps did nothing
