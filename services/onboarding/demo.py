"""The demo tenant that `make run` opens: a clinic, in Persian, with a living inbox."""

from __future__ import annotations

from services.onboarding.demo_file import seed_demo_file
from services.onboarding.operations import SignUp, sign_up, slug_taken
from tenants.accounts import create_staff
from tenants.context import tenant_scope
from tenants.db import db
from tenants.roles import Role

DEMO_SLUG = "demo"
DEMO_EMAIL = "owner@demo-clinic.example"
DEMO_STAFF = (
    ("مریم احمدی", "crm@demo-clinic.example", Role.AGENT),
    ("رضا کریمی", "manager@demo-clinic.example", Role.MANAGER),
    ("سارا محمدی", "nursing@demo-clinic.example", Role.UNIT_MEMBER),
)


def seed_demo(password: str) -> bool:
    """Create the demo tenant and a few staff; False if it already exists. The caller commits."""
    if slug_taken(DEMO_SLUG):
        return False
    tenant, _owner = sign_up(
        SignUp(
            name="درمانگاه نمونه دادرس",
            slug=DEMO_SLUG,
            industry="clinic",
            locale="fa",
            timezone="Asia/Tehran",
            owner_name="مدیر درمانگاه",
            owner_email=DEMO_EMAIL,
            password=password,
        )
    )
    with tenant_scope(tenant.id):
        staff = {}
        for name, email, role in DEMO_STAFF:
            member = create_staff(email, name, password, role)
            member.locale = "fa"
            staff[role.value] = member
        db.session.flush()
        seed_demo_file(tenant, staff)
    return True
