"""E-mail through a real local SMTP server (aiosmtpd), read back."""

from __future__ import annotations

import re


def test_invitation_reaches_a_real_smtp_server_in_the_tenants_language(make_app, make_tenant, login_as, smtp_server):
    controller, inbox = smtp_server
    app = make_app(MAIL_BACKEND="smtp", SMTP_URL=f"smtp://127.0.0.1:{controller.port}")
    client = app.test_client()
    made = make_tenant(locale="fa")
    login_as(client, made.tenant, made.owner)
    response = client.post(
        f"/{made.tenant.slug}/console/settings/staff/invite", data={"email": "new@example.com", "role": "agent"}
    )
    assert response.status_code == 303
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "new@example.com"
    assert message["Content-Language"] == "fa"
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert 'dir="rtl"' in html
    assert re.search(rf"/{made.tenant.slug}/console/invitations/\S+", text)
    assert "دعوت" in text
