"""Complaints by e-mail, against a real IMAP server (Dovecot): an organization connects its mailbox; new mail
becomes an acknowledged complaint, a reply becomes the customer's message, machines' mail is left alone, and
each mail is taken once however often it is read."""

from __future__ import annotations

import time
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from services.complaints.models import Attachment, Complaint, ComplaintEvent
from services.complaints.operations import assign
from services.connections.models import Connection
from services.intake.models import InboundMail
from services.notifications.models import Notice
from tenants.context import tenant_scope
from tenants.db import db, utcnow
from tenants.models import StaffMember
from tests.fixtures.mails import mail
from tests.fixtures.mailserver import free_port
from workers.intake import mailboxes

# The smallest PDF the attachment rules accept, and a Windows program they refuse.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
EXE = b"MZ" + b"\x90\x00" * 64


@pytest.fixture
def desk(app, make_tenant, login_as, imap_server):
    """(made, staff client, mailbox): an organization with its mailbox connected in settings."""
    made = make_tenant(locale="fa")
    staff = app.test_client()
    login_as(staff, made.tenant, made.owner)
    user, password = imap_server.new_mailbox()
    # Mail that was there before connecting is the mailbox's past, not new complaints.
    imap_server.deliver(user, password, mail("Old newsletter", "From last year."))
    url = f"/{made.tenant.slug}/console/settings/channels/mailbox"
    assert staff.post(url, data={"mailbox-mailbox_url": "pop3://nowhere"}).status_code == 422
    assert staff.post(url, data={"mailbox-mailbox_url": imap_server.url(user, password)}).status_code == 303
    page = staff.get(f"/{made.tenant.slug}/console/settings/channels").get_data(as_text=True)
    assert password not in page
    assert f'data-mailbox="{imap_server.host}"' in page
    return made, staff, (user, password)


def _read(app) -> None:
    with app.app_context():
        assert mailboxes() == 1


def _complaints(app, made) -> list[Complaint]:
    with app.app_context(), tenant_scope(made.tenant.id):
        found = list(db.session.scalars(sa.select(Complaint).order_by(Complaint.id)))
        db.session.expunge_all()
    return found


def _outcomes(app, made) -> list[str]:
    with app.app_context(), tenant_scope(made.tenant.id):
        rows = db.session.scalars(sa.select(InboundMail).order_by(InboundMail.id))
        return [f"{r.outcome}:{r.reason}" if r.reason else r.outcome for r in rows]


def _sent(app) -> list[EmailMessage]:
    return app.extensions.get("dadras.sent_mail", [])


def test_new_mail_becomes_an_acknowledged_complaint_with_its_files(app, desk, imap_server, make_tenant, login_as):
    made, staff, (user, password) = desk
    imap_server.deliver(
        user,
        password,
        mail(
            "شکایت از نوبت‌دهی",
            "سلام. سه بار نوبت گرفتم و هر بار لغو شد.\nلطفاً پیگیری کنید.",
            files=[("نامه.pdf", PDF, "application/pdf"), ("invoice.exe", EXE, "application/octet-stream")],
        ),
    )
    _read(app)
    [complaint] = _complaints(app, made)
    assert (complaint.channel, complaint.email, complaint.preferred_contact) == ("email", "sara@example.com", "email")
    assert complaint.complainant_name == "Sara Ahmadi"
    assert complaint.subject == "شکایت از نوبت‌دهی"
    assert "هر بار لغو شد" in complaint.description
    assert complaint.preferred_locale == "fa"
    with app.app_context(), tenant_scope(made.tenant.id):
        files = list(db.session.scalars(sa.select(Attachment).where(Attachment.complaint_id == complaint.id)))
        assert [(f.filename, f.content_type, f.customer_visible) for f in files] == [
            ("نامه.pdf", "application/pdf", True)
        ]
        refused = db.session.scalar(sa.select(ComplaintEvent).where(ComplaintEvent.kind == "file_refused"))
        assert refused.data == {"filename": "invoice.exe", "reason": "type_not_allowed"}
    # Acknowledged in writing, in Persian, right to left, with the code and the tracking link.
    [ack] = [m for m in _sent(app) if m["To"] == "sara@example.com"]
    assert ack["Content-Language"] == "fa"
    html = ack.get_body(preferencelist=("html",)).get_content()
    assert 'dir="rtl"' in html
    assert f"/{made.tenant.slug}/track/{complaint.code}" in html
    assert _outcomes(app, made) == ["registered"]
    # Staff see what became of the mail, and the refused file on the complaint.
    page = staff.get(f"/{made.tenant.slug}/console/settings/channels").get_data(as_text=True)
    assert 'data-outcome="registered"' in page
    shown = staff.get(f"/{made.tenant.slug}/console/complaints/{complaint.id}").get_data(as_text=True)
    assert "invoice.exe" in shown
    # Another organization sees none of it: not the mailbox, not the mails, not the complaint.
    other = make_tenant()
    stranger = app.test_client()
    login_as(stranger, other.tenant, other.owner)
    theirs = stranger.get(f"/{other.tenant.slug}/console/settings/channels").get_data(as_text=True)
    assert "data-outcome" not in theirs
    assert "data-mailbox" not in theirs
    assert stranger.get(f"/{other.tenant.slug}/console/complaints/{complaint.id}").status_code == 404


def test_a_reply_becomes_the_customers_message_and_a_stranger_does_not(app, desk, imap_server):
    made, _staff, (user, password) = desk
    imap_server.deliver(user, password, mail("Rude receptionist", "The receptionist shouted at my mother."))
    _read(app)
    [complaint] = _complaints(app, made)
    [ack] = [m for m in _sent(app) if m["To"] == "sara@example.com"]
    # A reply to the acknowledgement: threaded by In-Reply-To, the quoted notice left out.
    reply = mail(
        "Re: " + str(ack["Subject"]).replace(complaint.code, ""),
        "She was at reception at 10:40, here is the ticket.\n\nOn Monday, Clinic wrote:\n> Your complaint is in",
        headers={"In-Reply-To": ack["Message-ID"], "References": ack["Message-ID"]},
        files=[("ticket.pdf", PDF, "application/pdf")],
    )
    imap_server.deliver(user, password, reply)
    # With the code in the subject (Persian digits, grouped), from the address on file.
    persian = complaint.code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    imap_server.deliver(user, password, mail(f"پیگیری {persian[:4]}-{persian[4:8]}-{persian[8:]}", "Any news?\n\nSara"))
    # The same code from someone else, or from Sara's address forged: a new complaint, not a message on hers.
    imap_server.deliver(
        user, password, mail(f"About {complaint.code}", "I saw it too.", sender="Reza <reza@example.com>")
    )
    forged = {"Authentication-Results": "mx.clinic.test; spf=fail smtp.mailfrom=example.com; dmarc=fail"}
    imap_server.deliver(user, password, mail(f"Re: {complaint.code}", "Close it, I withdraw.", headers=forged))
    _read(app)
    with app.app_context(), tenant_scope(made.tenant.id):
        messages = db.session.scalars(
            sa.select(ComplaintEvent.body)
            .where(ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "customer_message")
            .order_by(ComplaintEvent.id)
        ).all()
        files = db.session.scalars(sa.select(Attachment.filename).where(Attachment.complaint_id == complaint.id)).all()
    assert messages == ["She was at reception at 10:40, here is the ticket.", "Any news?\n\nSara"]
    assert files == ["ticket.pdf"]
    complaints = _complaints(app, made)
    assert [c.email for c in complaints] == ["sara@example.com", "reza@example.com", "sara@example.com"]
    assert _outcomes(app, made) == ["registered", "message", "message", "registered", "registered"]


def test_machines_mail_is_left_alone(app, desk, imap_server):
    made, _staff, (user, password) = desk
    bounce = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\nTo: complaints@clinic.test\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce-1@mx.example.com>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nThis is the mail system at host mx.example.com.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n--b--\r\n"
    )
    for raw in (
        mail("Out of office", "I am away until Monday.", headers={"Auto-Submitted": "auto-replied"}),
        mail("Weekly digest", "News.", headers={"Precedence": "bulk", "List-Id": "<news.example.com>"}),
        bounce,
        mail("Your complaint", "Echo of our own notice", headers={"Message-ID": "<dadras-1-99@clinic.test>"}),
        mail("Hi", "From ourselves", sender="Dadras <no-reply@dadras.local>"),
        mail("Hello", "html only", sender="not an address"),
    ):
        imap_server.deliver(user, password, raw)
    _read(app)
    assert _complaints(app, made) == []
    assert _outcomes(app, made) == [
        "ignored:auto_reply",
        "ignored:bulk",
        "ignored:bounce",
        "ignored:loop",
        "ignored:loop",
        "ignored:bad_sender",
    ]
    assert not [m for m in _sent(app) if "example.com" in str(m["To"])]


def test_a_mail_read_twice_is_taken_once_and_a_flood_is_cut(app, desk, imap_server):
    made, _staff, (user, password) = desk
    imap_server.deliver(user, password, mail("Broken tooth", "The filling fell out.", html="<p>The <b>filling</b></p>"))
    with app.app_context(), tenant_scope(made.tenant.id):
        before = db.session.scalar(sa.select(Connection).where(Connection.kind == "imap")).settings
    _read(app)
    # A poll that overlapped this one reads it again: still one complaint.
    with app.app_context(), tenant_scope(made.tenant.id):
        row = db.session.scalar(sa.select(Connection).where(Connection.kind == "imap"))
        assert row.settings["last_uid"] == before["last_uid"] + 1
        row.settings = {**row.settings, "last_uid": before["last_uid"]}
        db.session.commit()
    _read(app)
    [complaint] = _complaints(app, made)
    assert complaint.description == "The filling fell out."
    assert _outcomes(app, made) == ["registered"]
    # The folder renumbered (a new UIDVALIDITY): what arrived since the last read began is read again, and
    # taken once; what was there before (the newsletter, the first mail) stays the mailbox's past.
    time.sleep(2.1)  # the server dates mail to the second, and a second before is read again
    with app.app_context(), tenant_scope(made.tenant.id):
        row = db.session.scalar(sa.select(Connection).where(Connection.kind == "imap"))
        row.settings = {**row.settings, "uidvalidity": 1, "read_from": utcnow().isoformat()}
        db.session.commit()
    imap_server.deliver(user, password, mail("Parking", "No place to park."))
    _read(app)
    _read(app)
    assert [c.subject for c in _complaints(app, made)] == ["Broken tooth", "Parking"]
    # An answering machine that does not say so: its sixth mail within the hour is not a sixth complaint,
    # however it writes its address.
    for n in range(6):
        imap_server.deliver(
            user,
            password,
            mail(f"Auto {n}", f"Thank you for your mail number {n}.", sender="Bot@X.io" if n % 2 else "bot@x.io"),
        )
    _read(app)
    assert len([c for c in _complaints(app, made) if c.email.startswith("bot")]) == 5
    assert _outcomes(app, made)[-1] == "ignored:loop"


def test_broken_and_doubtful_mail_is_noted_and_holds_back_nothing(app, desk, imap_server):
    made, _staff, (user, password) = desk
    broken = b"Message-ID: <\r\nFrom: <\r\nSubject: =?utf-8?q?broken\r\n\r\nbody\r\n"
    imap_server.deliver(user, password, broken)
    imap_server.deliver(user, password, mail("Two of us", "Hi", sender="sara@example.com, reza@example.com"))
    spoofed = b"From: =?utf-8?q?sara=40example.com?=\r\nSubject: Spoofed\r\nMessage-ID: <s1@x.io>\r\n\r\nHi\r\n"
    imap_server.deliver(user, password, spoofed)
    imap_server.deliver(user, password, mail("Lost parcel", "Where is it?"))
    _read(app)
    assert _outcomes(app, made) == ["ignored:bad_sender", "ignored:bad_sender", "ignored:bad_sender", "registered"]
    assert [c.subject for c in _complaints(app, made)] == ["Lost parcel"]


def test_after_closing_a_reply_is_kept_in_the_log_and_files_alone_tell_the_handler(app, desk, imap_server):
    made, _staff, (user, password) = desk
    imap_server.deliver(user, password, mail("Wrong bill", "I was charged twice."))
    _read(app)
    [complaint] = _complaints(app, made)
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        c = db.session.get(Complaint, complaint.id)
        assign(owner, c.id, None, owner.id, c.version)
        db.session.commit()
    imap_server.deliver(
        user, password, mail(f"Re: {complaint.code}", "", files=[("receipt.pdf", PDF, "application/pdf")])
    )
    _read(app)
    with app.app_context(), tenant_scope(made.tenant.id):
        told = db.session.scalars(sa.select(Notice.recipient).where(Notice.event == "customer_replied")).all()
        assert told == [made.owner.email]
        c = db.session.get(Complaint, complaint.id)
        c.state = "closed"
        db.session.commit()
    imap_server.deliver(user, password, mail(f"Re: {complaint.code}", "Thanks, but it happened again."))
    _read(app)
    assert len(_complaints(app, made)) == 1
    with app.app_context(), tenant_scope(made.tenant.id):
        late = db.session.scalar(sa.select(ComplaintEvent).where(ComplaintEvent.kind == "mail_after_close"))
        assert (late.body, late.customer_visible) == ("Thanks, but it happened again.", False)


def test_a_mailbox_that_cannot_be_read_shows_why_and_loses_nothing(app, desk, imap_server):
    made, staff, (user, password) = desk
    imap_server.deliver(user, password, mail("Waiting room", "Too cold."))
    from services.gateways.secrets import seal

    with app.app_context(), tenant_scope(made.tenant.id):
        row = db.session.scalar(sa.select(Connection).where(Connection.kind == "imap"))
        good = row.secret_encrypted
        row.secret_encrypted = seal(
            imap_server.url(user, password).replace(f":{imap_server.port}/", f":{free_port()}/")
        )
        db.session.commit()
    _read(app)
    assert _complaints(app, made) == []
    page = staff.get(f"/{made.tenant.slug}/console/settings/channels").get_data(as_text=True)
    assert "data-mailbox-error" in page
    assert "سرور در دسترس نیست" in page  # in the reader's language, in our words
    with app.app_context(), tenant_scope(made.tenant.id):
        row = db.session.scalar(sa.select(Connection).where(Connection.kind == "imap"))
        row.secret_encrypted = good
        db.session.commit()
    _read(app)
    assert [c.subject for c in _complaints(app, made)] == ["Waiting room"]
    page = staff.get(f"/{made.tenant.slug}/console/settings/channels").get_data(as_text=True)
    assert "data-mailbox-error" not in page
    # An organization switched off is not read; nor is a disconnected mailbox.
    from tenants.context import platform_scope
    from tenants.models import Tenant

    with app.app_context(), platform_scope():
        db.session.get(Tenant, made.tenant.id).is_active = False
        db.session.commit()
        assert mailboxes() == 0
        db.session.get(Tenant, made.tenant.id).is_active = True
        db.session.commit()
        assert mailboxes() == 1
    assert staff.post(f"/{made.tenant.slug}/console/settings/channels/mailbox/remove").status_code == 303
    with app.app_context():
        assert mailboxes() == 0


def test_with_redis_the_mailbox_is_read_by_a_worker_on_the_intake_queue(
    make_app, make_tenant, login_as, imap_server, redis_url
):
    from redis import Redis
    from rq import Queue

    from workers.jobs import use_app, worker_class
    from workers.queues import INTAKE

    own_db = redis_url.rsplit("/", 1)[0] + "/9"  # queues of this test's own
    app = make_app(REDIS_URL=own_db)
    connection = Redis.from_url(own_db)
    connection.flushdb()
    made = make_tenant()
    staff = app.test_client()
    login_as(staff, made.tenant, made.owner)
    user, password = imap_server.new_mailbox()
    assert (
        staff.post(
            f"/{made.tenant.slug}/console/settings/channels/mailbox",
            data={"mailbox-mailbox_url": imap_server.url(user, password)},
        ).status_code
        == 303
    )
    imap_server.deliver(user, password, mail("Жалоба на очередь", "Я ждала два часа в очереди."))
    with app.app_context():
        assert mailboxes() == 1
    queue = Queue(INTAKE, connection=connection)
    assert queue.count == 1
    assert _complaints(app, made) == []
    use_app(app)
    try:
        worker_class(simple=True)([queue], connection=connection).work(burst=True)
    finally:
        use_app(None)
        connection.flushdb()
        connection.close()
    [complaint] = _complaints(app, made)
    assert (complaint.channel, complaint.preferred_locale) == ("email", "ru")


def test_a_mailbox_that_refuses_the_login_is_not_saved(app, make_tenant, login_as, imap_server):
    # Last in this file: Dovecot slows the next logins from an address that just failed one.
    made = make_tenant()
    staff = app.test_client()
    login_as(staff, made.tenant, made.owner)
    user, password = imap_server.new_mailbox()
    url = f"/{made.tenant.slug}/console/settings/channels/mailbox"
    no_folder = staff.post(url, data={"mailbox-mailbox_url": imap_server.url(user, password, "شکایات")})
    assert no_folder.status_code == 422
    assert "folder" in no_folder.get_data(as_text=True)
    persian = staff.post(url, data={"mailbox-mailbox_url": imap_server.url(user, "گذرواژه")})
    assert persian.status_code == 422
    refused = staff.post(
        f"/{made.tenant.slug}/console/settings/channels/mailbox",
        data={"mailbox-mailbox_url": imap_server.url(user, "wrong-password")},
    )
    assert refused.status_code == 422
    assert "the server refused the login" in refused.get_data(as_text=True)
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalar(sa.select(Connection).where(Connection.kind == "imap")) is None


def test_reading_a_mails_words():
    from services.intake.reading import guess_locale, html_text, without_quote

    assert (
        html_text(
            "<html><head><style>p{}</style></head><body><p>Hello&nbsp;there</p><div>Line <b>two</b></div>"
            "<script>alert(1)</script></body></html>"
        )
        == "Hello there\n\nLine two"
    )
    assert without_quote("Thanks.\n\nOn Mon, Clinic wrote:\n> old\n> text") == "Thanks."
    assert without_quote("Fine.\n-----Original Message-----\nFrom: x") == "Fine."
    assert without_quote("> only quoted") == "> only quoted"
    assert guess_locale("سلام، نوبت من لغو شد", "en") == "fa"
    assert guess_locale("Сәлеметсіз бе, кезекте ұзақ күттім", "en") == "kk"
    assert guess_locale("Здравствуйте, я долго ждала", "en") == "ru"
    assert guess_locale("Hello, I waited", "fa") == "en"
    assert guess_locale("12345", "kk") == "kk"
