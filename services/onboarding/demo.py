"""The demo organizations that `make run` opens, each with a living inbox: a clinic in Iran, in Persian, and a shop
in Almaty, in Russian and Kazakh."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from services.escalation.sweep import sweep_tenant
from services.notifications.models import Notice, NoticeStatus
from services.onboarding.demo_file import DemoStory, seed_demo_file
from services.onboarding.operations import SignUp, sign_up, slug_taken
from services.portal.followups import follow_up
from tenants.accounts import create_staff
from tenants.context import tenant_scope
from tenants.db import db
from tenants.roles import Role


@dataclass(frozen=True)
class Demo:
    """One demo organization: who signs it up, its staff (name, e-mail, role, language) and its complaints."""

    slug: str
    name: str
    industry: str
    locale: str
    timezone: str
    owner_name: str
    owner_email: str
    staff: tuple[tuple[str, str, Role, str], ...]
    story: DemoStory


# Every demo address is on a domain reserved for examples (RFC 2606, RFC 6761; tests/test_demo.py checks): a demo
# with a real mail server configured still mails no one.
CLINIC = Demo(
    slug="demo",
    name="درمانگاه نمونه دادرس",
    industry="clinic",
    locale="fa",
    timezone="Asia/Tehran",
    owner_name="مدیر درمانگاه",
    owner_email="owner@demo-clinic.example",
    staff=(
        ("مریم احمدی", "crm@demo-clinic.example", Role.AGENT, "fa"),
        ("رضا کریمی", "manager@demo-clinic.example", Role.MANAGER, "fa"),
        ("سارا محمدی", "nursing@demo-clinic.example", Role.UNIT_MEMBER, "fa"),
    ),
    story=DemoStory(
        complaints="demo_complaints.json",
        member_unit="nursing",
        verified="پیگیری یک‌ماهه نشان داد مشکل تکرار نشده است.",
        default_action={"root_cause": "procedure", "action": "بازنگری روش اجرایی و آموزش کارکنان", "unit": "crm"},
    ),
)
SHOP = Demo(
    slug="demo-kz",
    name="Алатау Техно",
    industry="retail",
    locale="ru",
    timezone="Asia/Almaty",
    owner_name="Айгерим Сейткали",
    owner_email="owner@demo-shop-kz.example",
    staff=(
        ("Ольга Ким", "crm@demo-shop-kz.example", Role.AGENT, "ru"),
        ("Ерлан Жумабеков", "manager@demo-shop-kz.example", Role.MANAGER, "kk"),
        ("Данияр Ахметов", "delivery@demo-shop-kz.example", Role.UNIT_MEMBER, "kk"),
    ),
    story=DemoStory(
        complaints="demo_complaints_kz.json",
        member_unit="delivery",
        verified="Проверка через месяц показала, что случай не повторился.",
        default_action={
            "root_cause": "procedure",
            "action": "Пересмотреть порядок работы и провести обучение сотрудников.",
            "unit": "crm",
        },
    ),
)
DEMOS = (CLINIC, SHOP)
DEMO_SLUG = CLINIC.slug
DEMO_EMAIL = CLINIC.owner_email


def seed_demo(password: str) -> bool:
    """Create each demo organization not there yet, with its staff and history; False if all exist. The caller
    commits."""
    created = False
    for demo in DEMOS:
        if not slug_taken(demo.slug):
            _seed(demo, password)
            created = True
    return created


def _seed(demo: Demo, password: str) -> None:
    tenant, _owner = sign_up(
        SignUp(
            name=demo.name,
            slug=demo.slug,
            industry=demo.industry,
            locale=demo.locale,
            timezone=demo.timezone,
            owner_name=demo.owner_name,
            owner_email=demo.owner_email,
            password=password,
        )
    )
    with tenant_scope(tenant.id):
        staff = {}
        for name, email, role, locale in demo.staff:
            member = create_staff(email, name, password, role)
            member.locale = locale
            staff[role.value] = member
        db.session.flush()
        seed_demo_file(tenant, staff, demo.story)
        # What the periodic jobs would do at their first run (escalate what is overdue, warn, remind) is done
        # now, inside the history, so that starting the demo sends nothing either.
        sweep_tenant(tenant)
        follow_up(tenant)
        db.session.flush()
        _keep_history_quiet(tenant.id)


def _keep_history_quiet(tenant_id: int) -> None:
    """The notices of a history played into the past count as sent then: none goes out now, to anyone."""
    db.session.execute(
        sa.update(Notice)
        .where(Notice.tenant_id == tenant_id, Notice.status == NoticeStatus.PENDING)
        .values(status=NoticeStatus.SENT, sent_at=Notice.created_at, provider_id="demo")
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
