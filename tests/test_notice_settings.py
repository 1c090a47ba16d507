"""Settings → notices: events switched off are not told; each notice's wording per channel and language is
previewed, checked, saved, used, and put back to the default."""

from __future__ import annotations

import sqlalchemy as sa

from services.complaints import operations
from services.complaints.models import Complaint
from services.notifications.models import Notice, NoticeTemplate
from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import StaffMember


def _events(app, made) -> list[str]:
    with app.app_context(), tenant_scope(made.tenant.id):
        return list(db.session.scalars(sa.select(Notice.event).order_by(Notice.id)))


def test_an_event_switched_off_is_not_told_and_the_one_time_code_always_is(app, make_tenant, make_complaint, login_as):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/settings/notices"
    page = client.get(url)
    assert page.status_code == 200
    everything_but = ["registered", "responded", "reopened", "closed", "assigned", "customer_replied"]
    assert client.post(url, data={"enabled": everything_but}).status_code == 303
    complaint = make_complaint(made, email="sara@example.com")
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        operations.message_customer(owner, complaint.id, "We are on it.")  # staff_message: off
        from services.portal import operations as portal

        portal.send_proof(db.session.get(Complaint, complaint.id), "email")  # always told
        db.session.commit()
    assert _events(app, made) == ["registered", "verification_code"]
    html = client.get(url).get_data(as_text=True)
    assert 'value="staff_message" id="on-staff_message">' in html  # shown unticked
    assert client.post(url, data={"enabled": [*everything_but, "staff_message"]}).status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        operations.message_customer(db.session.get(StaffMember, made.owner.id), complaint.id, "Called the clinic.")
        db.session.commit()
    assert _events(app, made)[-1] == "staff_message"


def test_a_rule_tells_a_customer_on_every_way_they_gave(app, make_tenant, make_complaint, login_as):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/settings/notices"
    everything = ["registered", "staff_message", "responded", "verification_code"]
    rule = {"enabled": everything, "copy-staff_message": ["every_channel"], "copy-verification_code": ["every_channel"]}
    assert client.post(url, data=rule).status_code == 303
    assert 'id="copy-staff_message-every_channel" checked' in client.get(url).get_data(as_text=True)
    complaint = make_complaint(made, email="sara@example.com", phone="+989121234567", preferred_contact="sms")
    with app.app_context(), tenant_scope(made.tenant.id):
        operations.message_customer(db.session.get(StaffMember, made.owner.id), complaint.id, "We are on it.")
        from services.portal import operations as portal

        portal.send_proof(db.session.get(Complaint, complaint.id), "email")  # a code goes only where asked
        db.session.commit()
        told = [(n.event, n.channel) for n in db.session.scalars(sa.select(Notice).order_by(Notice.id))]
    assert told == [
        ("registered", "sms"),
        ("staff_message", "sms"),
        ("staff_message", "email"),
        ("verification_code", "email"),
    ]


def test_the_wording_is_previewed_checked_saved_used_and_reset(app, make_tenant, make_complaint, login_as):
    made = make_tenant(locale="fa")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/settings/notices/registered?channel=sms&lang=fa"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "{{ code }}" in html  # the default, in the editor's syntax
    assert 'dir="rtl"' in html

    wording = "{{ organization }}: شکایت شما با کد {{ code }} ثبت شد. {{ link }}"
    shown = client.post(url, data={"body": wording, "do": "preview"})
    assert shown.status_code == 200
    assert "1234-5678-90128" in shown.get_data(as_text=True)  # the example complaint
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalars(sa.select(NoticeTemplate)).all() == []  # a preview saves nothing

    refused = client.post(url, data={"body": "{{ secret }}", "do": "save"})
    assert refused.status_code == 422
    assert "secret" in refused.get_data(as_text=True)
    escape = client.post(url, data={"body": "{{ code.__class__.__mro__ }}", "do": "preview"})
    assert escape.status_code == 422

    assert client.post(url, data={"body": wording, "do": "save"}).status_code == 303
    complaint = make_complaint(made, phone="+98 912 123 4567", preferred_locale="fa")
    sent = app.extensions["dadras.sent_sms"][-1].body
    assert sent.startswith(f"{made.tenant.name}: شکایت شما با کد ")
    assert complaint.code[:4] in sent

    assert client.post(url, data={"body": wording, "do": "reset"}).status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalars(sa.select(NoticeTemplate)).all() == []
    email = client.get(f"/{made.tenant.slug}/console/settings/notices/registered?channel=email&lang=ru")
    assert email.status_code == 200
    assert "subject" in email.get_data(as_text=True)


def test_unknown_notices_channels_and_languages_are_404(app, make_tenant, login_as):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    base = f"/{made.tenant.slug}/console/settings/notices"
    assert client.get(f"{base}/nothing").status_code == 404
    assert client.get(f"{base}/registered?channel=pigeon").status_code == 404
    assert client.get(f"{base}/registered?lang=de").status_code == 404
    assert client.post(f"{base}/nothing", data={"body": "x", "do": "save"}).status_code == 404
