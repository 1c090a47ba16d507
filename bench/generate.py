"""A large, realistic data set on PostgreSQL: tenants with staff, units and categories, and their complaints.

A handful of tenants sign up through the app's own `sign_up`; the rest are cloned from them with SQL.
Complaints go in with COPY as the superuser (row-level security is forced, and the superuser bypasses it),
with the plain indexes dropped during the load and rebuilt after it, then VACUUM ANALYZE.
"""

from __future__ import annotations

import functools
import json
import math
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import psycopg
import sqlalchemy as sa

from bench import words

# Every bench staff member's password, and the in-process apps' secret key: throwaway data only.
PASSWORD = "bench-password-1"  # noqa: S105
SECRET = "bench-secret-key-bench-secret-key-0123456789"  # noqa: S105
# Tenants signed up through the app; every other tenant is a SQL copy of one of them.
SIGNUPS = (
    ("clinic", "fa", "Asia/Tehran", "کلینیک سلامت"),
    ("retail", "ru", "Asia/Almaty", "Торговый дом"),
    ("supplier", "fa", "Asia/Tehran", "بازرگانی پارس"),
    ("beauty_salon", "fa", "Asia/Tehran", "سالن زیبایی نیلوفر"),
    ("public_office", "ru", "Asia/Almaty", "ЦОН"),
    ("other", "fa", "Asia/Tehran", "خدمات شهری"),
)
CLONED_TABLES = ("root_causes", "units", "categories", "working_calendars", "holidays", "deadline_rules")
LOADED_TABLES = ("complaints", "tracking_codes", "complaint_events")

CHANNELS = (
    ("web", 30),
    ("phone", 25),
    ("in_person", 12),
    ("email", 8),
    ("messenger", 8),
    ("sms", 5),
    ("letter", 5),
    ("suggestion_box", 4),
    ("api", 3),
)
PRIORITIES = (("low", 15), ("normal", 60), ("high", 18), ("urgent", 7))
KINDS = (("complaint", 85), ("suggestion", 10), ("compliment", 5))
OPEN = ("received", "acknowledged", "investigating", "action", "responded")
STATES = (*OPEN, "closed", "withdrawn")
# State shares by age of the complaint: recent ones are mostly open, old ones mostly closed.
STATE_WEIGHTS_BY_AGE = (
    (3, (35, 25, 25, 5, 5, 4, 1)),
    (30, (5, 10, 25, 12, 13, 32, 3)),
    (90, (1, 2, 6, 5, 6, 76, 4)),
    (10_000, (0.2, 0.3, 1, 1, 1, 93.5, 3)),
)
SELF_REGISTERED = frozenset({"web", "api", "sms", "messenger", "email"})
# The share of complaints from a customer of the tenant's who complained before, by the same phone and e-mail.
RETURNING = 0.08
HISTORY_DAYS = 730


@dataclass
class TenantInfo:
    id: int
    slug: str
    locale: str
    country: str
    owner_id: int
    default_rule_id: int | None = None
    units: list[int] = field(default_factory=list)
    categories: list[int] = field(default_factory=list)
    handlers: list[int] = field(default_factory=list)


@dataclass
class Generated:
    """What the benchmark needs to log in to the largest tenant."""

    slug: str
    tenant_id: int
    email: str
    password: str
    tenants: int
    complaints: int


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as psycopg takes it (no driver name)."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def generate(
    database_url_owner: str,
    tenants: int = 1000,
    complaints: int = 1_000_000,
    largest: int = 200_000,
    *,
    superuser_url: str | None = None,
    seed: int = 10002,
) -> Generated:
    """Fill the migrated database: `tenants` tenants and `complaints` complaints, `largest` of them the first's."""
    if tenants < 1 or not 0 < largest <= complaints or (tenants == 1 and largest != complaints):
        raise ValueError("need 1 <= tenants, 0 < largest <= complaints, and largest == complaints for one tenant")
    if superuser_url is None:
        superuser_url = default_superuser_url(database_url_owner)
    rng = random.Random(seed)
    started = time.perf_counter()
    signed_up = _sign_up(database_url_owner, min(tenants, len(SIGNUPS)))
    print(f"  signed up {len(signed_up)} tenants through the app in {time.perf_counter() - started:.1f} s")
    with psycopg.connect(libpq_url(superuser_url), autocommit=True) as conn:
        step = time.perf_counter()
        _clone_tenants(conn, signed_up, tenants)
        infos = _add_staff(conn, rng)
        print(f"  {tenants} tenants with staff, units and categories in {time.perf_counter() - step:.1f} s")
        step = time.perf_counter()
        sizes = _sizes(tenants, complaints, largest)
        _load_complaints(conn, infos, sizes, rng)
        print(f"  {complaints:,} complaints, codes and log entries loaded in {time.perf_counter() - step:.1f} s")
        _print_sizes(conn)
    owner = infos[0]
    print(f"  data generated in {time.perf_counter() - started:.1f} s")
    return Generated(owner.slug, owner.id, _owner_email(owner.slug), PASSWORD, tenants, complaints)


def default_superuser_url(database_url: str) -> str:
    """BENCH_ADMIN_DATABASE_URL (else TEST_DATABASE_URL, else postgres on 127.0.0.1) on `database_url`'s database."""
    admin = os.environ.get("BENCH_ADMIN_DATABASE_URL") or os.environ.get(
        "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    return sa.make_url(admin).set(database=sa.make_url(database_url).database).render_as_string(hide_password=False)


def _owner_email(slug: str) -> str:
    return f"owner@{slug}.bench.example.com"


def _slug(index: int) -> str:
    return f"bench-{index:04d}"


def _sign_up(database_url_owner: str, count: int) -> list[int]:
    """Sign up `count` tenants with the app's own operation; their ids, the largest tenant's first."""
    from services.onboarding.operations import SignUp, sign_up
    from tenants.context import enter_tenant, leave_tenant
    from tenants.db import db
    from web import create_app

    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": database_url_owner,
            "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": sa.pool.NullPool},
            "MAIL_BACKEND": "memory",
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    ids = []
    with app.app_context():
        for index, (industry, locale, timezone, name) in enumerate(SIGNUPS[:count]):
            token = enter_tenant(None)
            slug = _slug(index)
            tenant, _owner = sign_up(
                SignUp(name, slug, industry, locale, timezone, "Owner", _owner_email(slug), PASSWORD)
            )
            db.session.commit()
            ids.append(tenant.id)
            leave_tenant(token)
        db.session.remove()
        db.engine.dispose()
    return ids


def _columns(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def _foreign_keys(conn: psycopg.Connection, table: str) -> dict[str, str]:
    """{column: referenced table} for the single-column foreign keys of `table`."""
    rows = conn.execute(
        "SELECT a.attname, c.confrelid::regclass::text FROM pg_constraint c "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND cardinality(c.conkey) = 1",
        [table],
    ).fetchall()
    return dict(rows)


def _clone_tenants(conn: psycopg.Connection, templates: list[int], total: int) -> None:
    """Tenants beyond the signed-up ones: copies of a template tenant's row and configuration tables."""
    if total <= len(templates):
        return
    new = list(range(len(templates), total))
    cols = [c for c in _columns(conn, "tenants") if c not in ("id", "slug", "name")]
    conn.execute("CREATE TEMP TABLE bench_clone (new_id integer, template_id integer)")
    conn.execute(
        f"WITH src AS (SELECT * FROM unnest(%s::text[], %s::text[], %s::integer[]) AS s(slug, name, template_id)), "
        f"ins AS (INSERT INTO tenants (slug, name, {', '.join(cols)}) "
        f"SELECT src.slug, src.name, {', '.join('t.' + c for c in cols)} FROM src "
        f"JOIN tenants t ON t.id = src.template_id RETURNING id, slug) "
        f"INSERT INTO bench_clone SELECT ins.id, src.template_id FROM ins JOIN src ON src.slug = ins.slug",
        [
            [_slug(i) for i in new],
            [f"Bench {i:04d}" for i in new],
            [templates[i % len(templates)] for i in new],
        ],
    )
    for table in CLONED_TABLES:
        cols = [c for c in _columns(conn, table) if c not in ("id", "tenant_id")]
        if not cols:
            continue
        fks = _foreign_keys(conn, table)
        values = []
        for c in cols:
            target = fks.get(c)
            if target == "categories":
                # The same category of the new tenant, found by its key.
                values.append(
                    f"(SELECT nc.id FROM categories oc JOIN categories nc ON nc.key = oc.key "
                    f"AND nc.tenant_id = m.new_id WHERE oc.id = src.{c})"
                )
            elif target is not None:
                values.append("NULL")
            else:
                values.append(f"src.{c}")
        insert = (
            f"INSERT INTO {table} (tenant_id, {', '.join(cols)}) SELECT m.new_id, {', '.join(values)} "
            f"FROM {table} src JOIN bench_clone m ON m.template_id = src.tenant_id"
        )
        if table == "categories":
            # Top categories first: their children point at them.
            conn.execute(insert + " WHERE src.parent_id IS NULL ORDER BY src.id")
            conn.execute(insert + " WHERE src.parent_id IS NOT NULL ORDER BY src.id")
        else:
            conn.execute(insert + " ORDER BY src.id")
    conn.execute("DROP TABLE bench_clone")
    rows = conn.execute("SELECT id, slug FROM tenants WHERE slug LIKE 'bench-%'").fetchall()
    hashes = conn.execute(
        "SELECT DISTINCT ON (tenant_id) tenant_id, password_hash FROM staff_members WHERE role = 'owner'"
    ).fetchall()
    owner_hash = hashes[0][1]
    have_owner = {tid for tid, _ in hashes}
    with conn.cursor().copy(
        "COPY staff_members (tenant_id, email, name, password_hash, role, is_active, locale, session_version, "
        "created_at) FROM STDIN"
    ) as copy:
        now = datetime.now(UTC)
        for tenant_id, slug in rows:
            if tenant_id not in have_owner:
                copy.write_row((tenant_id, _owner_email(slug), "Owner", owner_hash, "owner", True, None, 1, now))


def _sizes(tenants: int, complaints: int, largest: int) -> list[int]:
    """Complaints per tenant: `largest` for the first, the rest shared on a Zipf-like curve."""
    rest = complaints - largest
    others = tenants - 1
    if others == 0:
        return [largest]
    weights = [1 / (rank + 1) ** 0.9 for rank in range(others)]
    total = sum(weights)
    shares = [math.floor(rest * w / total) for w in weights]
    for i in range(rest - sum(shares)):
        shares[i % others] += 1
    return [largest, *shares]


def _add_staff(conn: psycopg.Connection, rng: random.Random) -> list[TenantInfo]:
    """Agents, managers and unit members for every tenant (sharing one real password hash); what the load needs."""
    tenants = conn.execute(
        "SELECT t.id, t.slug, t.default_locale, t.country, s.id, s.password_hash FROM tenants t "
        "JOIN staff_members s ON s.tenant_id = t.id AND s.role = 'owner' WHERE t.slug LIKE 'bench-%' ORDER BY t.slug"
    ).fetchall()
    units: dict[int, list[int]] = {}
    for unit_id, tenant_id in conn.execute("SELECT id, tenant_id FROM units ORDER BY id"):
        units.setdefault(tenant_id, []).append(unit_id)
    now = datetime.now(UTC)
    with conn.cursor().copy(
        "COPY staff_members (tenant_id, email, name, password_hash, role, is_active, locale, unit_id, "
        "session_version, created_at) FROM STDIN"
    ) as copy:
        for index, (tenant_id, slug, locale, _country, _owner, password_hash) in enumerate(tenants):
            agents = 40 if index == 0 else rng.randint(2, 6)
            people = [("agent", None)] * agents + [("manager", None)] * max(1, agents // 8)
            people += [("unit_member", u) for u in units.get(tenant_id, [])[:3]]
            for n, (role, unit_id) in enumerate(people):
                name = _person_name(rng, locale)
                email = f"{role}{n}@{slug}.bench.example.com"
                copy.write_row((tenant_id, email, name, password_hash, role, True, locale, unit_id, 1, now))
    infos = {
        tenant_id: TenantInfo(tenant_id, slug, locale, country, owner_id)
        for tenant_id, slug, locale, country, owner_id, _ in tenants
    }
    for tenant_id, staff_id in conn.execute(
        "SELECT tenant_id, id FROM staff_members WHERE role IN ('agent', 'manager') ORDER BY id"
    ):
        if tenant_id in infos:
            infos[tenant_id].handlers.append(staff_id)
    for tenant_id, category_id in conn.execute(
        "SELECT tenant_id, id FROM categories WHERE parent_id IS NOT NULL ORDER BY id"
    ):
        if tenant_id in infos:
            infos[tenant_id].categories.append(category_id)
    for tenant_id, rule_id in conn.execute(
        "SELECT DISTINCT ON (tenant_id) tenant_id, id FROM deadline_rules "
        "WHERE priority IS NULL AND category_id IS NULL ORDER BY tenant_id, id"
    ):
        if tenant_id in infos:
            infos[tenant_id].default_rule_id = rule_id
    for tenant_id, unit_ids in units.items():
        if tenant_id in infos:
            infos[tenant_id].units = unit_ids
    # The largest tenant first, as the slugs sort.
    return [infos[t[0]] for t in tenants]


def _person_name(rng: random.Random, locale: str) -> str:
    if locale == "ru":
        if rng.random() < 0.5:
            return f"{rng.choice(words.RUSSIAN_MALE)} {rng.choice(words.RUSSIAN_SURNAMES)}"
        surname = rng.choice(words.RUSSIAN_SURNAMES)
        surname += "а" if surname.endswith(("ов", "ев", "ёв", "ин")) else ""
        return f"{rng.choice(words.RUSSIAN_FEMALE)} {surname}"
    first = rng.choice(words.PERSIAN_MALE if rng.random() < 0.5 else words.PERSIAN_FEMALE)
    return f"{first} {rng.choice(words.PERSIAN_SURNAMES)}"


def _fill(rng: random.Random, text: str, slots: dict[str, tuple[str, ...]]) -> str:
    if "{" not in text:
        return text
    return text.format(
        place=rng.choice(slots["place"]),
        product=rng.choice(slots["product"]),
        role=rng.choice(slots["role"]),
        n=rng.randint(2, 12),
        amount=f"{rng.randint(5, 900) * 1000:,}",
    )


def _cumulative(pairs: tuple[tuple[str, float], ...]) -> tuple[list[str], list[float]]:
    names = [p[0] for p in pairs]
    acc = 0.0
    cum = []
    for _, w in pairs:
        acc += w
        cum.append(acc)
    return names, cum


COMPLAINT_COLUMNS = (
    "id",
    "tenant_id",
    "code",
    "kind",
    "state",
    "channel",
    "received_at",
    "registered_at",
    "registered_by_id",
    "complainant_name",
    "phone",
    "email",
    "national_id",
    "preferred_contact",
    "preferred_locale",
    "representative_name",
    "representative_relation",
    "subject",
    "description",
    "remedy_sought",
    "category_id",
    "priority",
    "safety",
    "unit_id",
    "handler_id",
    "about_staff_id",
    "escalation_level",
    "reopen_count",
    "cycle",
    "acknowledge_due_at",
    "respond_due_at",
    "resolve_due_at",
    "legal_due_at",
    "next_due_at",
    "deadline_policy",
    "acknowledged_at",
    "responded_at",
    "closed_at",
    "withdrawn_at",
    "search_text",
    "updated_at",
    "updated_by_id",
    "version",
)


class _Rows:
    """Complaint rows for one tenant after another, built from the word lists."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        from services.complaints.search import build_search_text, search_key
        from services.tracking import new_code

        self.rng = rng
        self.now = now
        self.build_search_text = build_search_text
        # search_key works character by character, so the key of joined parts is the parts' keys joined;
        # names and sentences repeat, and their keys are cached (a sample is checked against the real thing).
        self.key = functools.lru_cache(maxsize=100_000)(search_key)
        self.checked = 0
        self.new_code = new_code
        self.codes: set[str] = set()
        self.channels = _cumulative(CHANNELS)
        self.priorities = _cumulative(PRIORITIES)
        self.kinds = _cumulative(KINDS)
        self.states = [(limit, _cumulative(tuple(zip(STATES, w, strict=True)))) for limit, w in STATE_WEIGHTS_BY_AGE]
        # Each tenant's latest customers, some of whom come back (the recurrence report's "the same customer again").
        self.customers: dict[int, list[tuple[str, str | None, str | None, str | None]]] = {}

    def pick(self, table: tuple[list[str], list[float]]) -> str:
        return self.rng.choices(table[0], cum_weights=table[1])[0]

    def code(self) -> str:
        while True:
            code = self.new_code()
            if code not in self.codes:
                self.codes.add(code)
                return code

    def received_at(self, country: str) -> datetime:
        """Over two years, twice as many lately as on average; mostly in office hours of the tenant's zone."""
        rng = self.rng
        age_days = HISTORY_DAYS * (1 - math.sqrt(rng.random()))
        day = (self.now - timedelta(days=age_days)).replace(hour=0, minute=0, second=0, microsecond=0)
        offset = 5.0 if country == "KZ" else 3.5
        local_hour = rng.uniform(8, 20) if rng.random() < 0.85 else rng.uniform(0, 24)
        moment = day + timedelta(hours=local_hour - offset, microseconds=rng.randrange(1_000_000))
        while moment > self.now:
            moment -= timedelta(days=1)
        return moment

    def text(self, locale: str) -> tuple[str, list[str], str | None, bool]:
        """Subject, the description's sentences, remedy sought and whether it is a safety matter."""
        rng = self.rng
        if locale == "ru":
            topics, slots, closings, rare = (
                words.RUSSIAN_TOPICS,
                words.RUSSIAN_SLOTS,
                words.RUSSIAN_CLOSINGS,
                words.RUSSIAN_RARE,
            )
        else:
            topics, slots, closings, rare = (
                words.PERSIAN_TOPICS,
                words.PERSIAN_SLOTS,
                words.PERSIAN_CLOSINGS,
                words.PERSIAN_RARE,
            )
        topic = rng.choice(topics)
        subject = _fill(rng, rng.choice(topic["subjects"]), slots)
        sentences = rng.sample(topic["sentences"], k=min(len(topic["sentences"]), rng.randint(1, 3)))
        parts = [_fill(rng, s, slots) for s in sentences]
        if rng.random() < 0.003:
            parts.append(rng.choice(rare))
        if rng.random() < 0.7:
            parts.append(rng.choice(closings))
        remedy = rng.choice(topic["remedies"]) if rng.random() < 0.4 else None
        safety = "safety" in topic and rng.random() < 0.6
        return subject, parts, remedy, safety

    def contact(self, locale: str) -> tuple[str | None, str | None, str | None]:
        """Phone (E.164), e-mail and preferred contact channel."""
        rng = self.rng
        phone = None
        if rng.random() < 0.85:
            if locale == "ru":
                phone = f"+7{rng.choice(('701', '702', '705', '707', '747', '777'))}{rng.randrange(10**7):07d}"
            else:
                phone = f"+98{rng.choice(('912', '912', '935', '919', '901', '921'))}{rng.randrange(10**7):07d}"
        email = None
        if rng.random() < 0.3:
            email = f"{rng.choice(words.LATIN_FIRST)}.{rng.choice(words.LATIN_LAST)}{rng.randrange(1000)}"
            email += f"@{rng.choice(words.MAIL_DOMAINS)}"
        preferred = None
        if phone and rng.random() < 0.6:
            preferred = rng.choice(("phone", "sms"))
        elif email and rng.random() < 0.5:
            preferred = "email"
        return phone, email, preferred

    def timeline(
        self, state: str, received: datetime, priority: str, country: str
    ) -> tuple[tuple[datetime | None, ...], datetime | None, datetime | None, datetime | None, datetime | None]:
        """The due dates (acknowledge, respond, resolve, legal, next) and when each step was taken."""
        rng = self.rng
        now = self.now
        hours = {"urgent": 24, "high": 72, "normal": 168, "low": 240}[priority]
        ack_due = received + timedelta(hours=min(hours, 48))
        respond_due = received + timedelta(hours=hours)
        resolve_due = received + timedelta(days=30)
        legal_due = received + timedelta(days=15) if country == "KZ" else None
        acknowledged = responded = closed = withdrawn = None
        if state not in {"received", "withdrawn"}:
            acknowledged = min(now, received + timedelta(hours=rng.uniform(0.5, 60)))
        if state in {"responded", "closed"}:
            responded = min(now, (acknowledged or received) + timedelta(hours=rng.uniform(2, 400)))
        if state == "closed":
            closed = min(now, (responded or received) + timedelta(hours=rng.uniform(1, 300)))
        if state == "withdrawn":
            withdrawn = min(now, received + timedelta(hours=rng.uniform(1, 200)))
        # As lifecycle.set_next_due: the deadline the current state works towards.
        if state == "received":
            next_due = ack_due
        elif state in {"acknowledged", "investigating", "action"}:
            next_due = min(respond_due, legal_due) if legal_due else respond_due
        elif state == "responded":
            next_due = resolve_due
        else:
            next_due = None
        due = (ack_due, respond_due, resolve_due, legal_due, next_due)
        return due, acknowledged, responded, closed, withdrawn

    def search_text(self, c: SimpleNamespace, sentences: list[str]) -> str:
        """What `build_search_text` makes of complaint `c`, whose description is `sentences` joined."""
        key = self.key
        parts = [c.code, key(c.complainant_name)]
        if c.representative_name:
            parts.append(key(c.representative_name))
        if c.phone:
            parts += [c.phone, ("0" + c.phone[3:]) if c.phone.startswith("+98") else ("8" + c.phone[2:])]
        if c.email:
            parts.append(key(c.email))
        parts.append(key(c.subject))
        parts += [key(s) for s in sentences]
        if c.remedy_sought:
            parts.append(key(c.remedy_sought))
        text = " ".join(parts)
        self.checked += 1
        if self.checked % 997 == 1 and self.build_search_text(c) != text:
            raise RuntimeError("build_search_text changed: bring bench.generate._Rows.search_text in line")
        return text

    def row(self, ident: int, t: TenantInfo, policy: str, received: datetime) -> tuple[Any, ...]:
        rng = self.rng
        now = self.now
        age = (now - received).total_seconds() / 86400
        state = self.pick(next(table for limit, table in self.states if age < limit))
        channel = self.pick(self.channels)
        priority = self.pick(self.priorities)
        kind = self.pick(self.kinds)
        subject, sentences, remedy, safety = self.text(t.locale)
        description = " ".join(sentences)
        safety = safety or (priority == "urgent" and rng.random() < 0.1)
        known = self.customers.setdefault(t.id, [])
        if known and rng.random() < RETURNING:
            name, phone, email, preferred = rng.choice(known)  # a customer who complained before
        else:
            phone, email, preferred = self.contact(t.locale)
            name = _person_name(rng, t.locale)
            known.append((name, phone, email, preferred))
            if len(known) > 300:
                del known[: len(known) - 200]
        representative = relation = None
        if rng.random() < 0.05:
            representative = _person_name(rng, t.locale)
            relation = rng.choice(words.RUSSIAN_RELATIONS if t.locale == "ru" else words.PERSIAN_RELATIONS)
        staff_registered = channel not in SELF_REGISTERED
        registered_by = rng.choice(t.handlers) if staff_registered and t.handlers else None
        registered = min(now, received + timedelta(minutes=rng.randint(5, 600))) if staff_registered else received
        code = self.code()
        due, acknowledged, responded, closed, withdrawn = self.timeline(state, received, priority, t.country)
        assigned = state != "received" or rng.random() < 0.2
        handler = rng.choice(t.handlers) if assigned and t.handlers and rng.random() < 0.95 else None
        unit = rng.choice(t.units) if t.units and rng.random() < 0.85 else None
        category = rng.choice(t.categories) if t.categories and rng.random() < 0.9 else None
        about = rng.choice(t.handlers) if t.handlers and rng.random() < 0.05 else None
        if about == handler:
            about = None
        escalation = 0
        if rng.random() < 0.04:
            escalation = 1 if rng.random() < 0.85 else 2
        reopened = 1 if state != "received" and rng.random() < 0.02 else 0
        fields = SimpleNamespace(
            code=code,
            complainant_name=name,
            representative_name=representative,
            phone=phone,
            email=email,
            national_id=None,
            subject=subject,
            description=description,
            remedy_sought=remedy,
        )
        search_text = self.search_text(fields, sentences)
        updated = max(d for d in (registered, acknowledged, responded, closed, withdrawn) if d is not None)
        return (
            ident,
            t.id,
            code,
            kind,
            state,
            channel,
            received,
            registered,
            registered_by,
            name,
            phone,
            email,
            None,
            preferred,
            t.locale,
            representative,
            relation,
            subject,
            description,
            remedy,
            category,
            priority,
            safety,
            unit,
            handler,
            about,
            escalation,
            reopened,
            1 + reopened,
            *due,
            policy,
            acknowledged,
            responded,
            closed,
            withdrawn,
            search_text,
            updated,
            handler or registered_by,
            1,
        )

    def rows(self, infos: list[TenantInfo], sizes: list[int], first_id: int) -> Iterator[tuple[Any, ...]]:
        """Every tenant's complaints interleaved in order of arrival, as a live database stores them."""
        policies = [
            json.dumps({"cycle_1": {"rules": [t.default_rule_id] if t.default_rule_id else [], "generated": "bench"}})
            for t in infos
        ]
        arrivals = [(self.received_at(t.country), n) for n, t in enumerate(infos) for _ in range(sizes[n])]
        arrivals.sort()
        for ident, (received, n) in enumerate(arrivals, start=first_id):
            yield self.row(ident, infos[n], policies[n], received)


def _plain_indexes(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(name, definition) of the loaded tables' indexes that back no constraint: dropped during the load."""
    return conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [list(LOADED_TABLES)],
    ).fetchall()


def _load_complaints(conn: psycopg.Connection, infos: list[TenantInfo], sizes: list[int], rng: random.Random) -> None:
    """COPY the complaints; derive their tracking codes and "registered" log entries; rebuild indexes; analyze."""
    indexes = _plain_indexes(conn)
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    first_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM complaints").fetchone()[0]
    rows = _Rows(rng, datetime.now(UTC))
    total = sum(sizes)
    step = time.perf_counter()
    with conn.transaction():
        # Foreign keys are checked by triggers; the generated references are right by construction.
        conn.execute("SET LOCAL session_replication_role = replica")
        with conn.cursor().copy(f"COPY complaints ({', '.join(COMPLAINT_COLUMNS)}) FROM STDIN") as copy:
            for n, row in enumerate(rows.rows(infos, sizes, first_id), start=1):
                copy.write_row(row)
                if n % 200_000 == 0:
                    print(f"    {n:,} / {total:,} complaints ({time.perf_counter() - step:.0f} s)")
        conn.execute(
            "INSERT INTO tracking_codes (code, tenant_id, created_at) "
            "SELECT code, tenant_id, registered_at FROM complaints WHERE id >= %s",
            [first_id],
        )
        conn.execute(
            "INSERT INTO complaint_events (complaint_id, at, actor_kind, actor_id, kind, data, customer_visible, "
            "tenant_id) SELECT id, registered_at, CASE WHEN registered_by_id IS NULL THEN 'customer' ELSE 'staff' END, "
            "registered_by_id, 'registered', jsonb_build_object('channel', channel, 'received_at', "
            "to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')), true, tenant_id "
            "FROM complaints WHERE id >= %s ORDER BY id",
            [first_id],
        )
        from services.complaints.repeats import BACKFILL

        conn.execute(BACKFILL)
    conn.execute("SELECT setval(pg_get_serial_sequence('complaints', 'id'), (SELECT max(id) FROM complaints))")
    print(f"    rows written in {time.perf_counter() - step:.0f} s; rebuilding {len(indexes)} indexes")
    step = time.perf_counter()
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute("SET max_parallel_maintenance_workers = 2")
    for _, definition in indexes:
        conn.execute(definition)
    conn.execute("RESET maintenance_work_mem")
    print(f"    indexes rebuilt in {time.perf_counter() - step:.0f} s")
    step = time.perf_counter()
    for table in (*LOADED_TABLES, "staff_members", "tenants", "units", "categories"):
        conn.execute(f"VACUUM (ANALYZE) {table}")
    print(f"    vacuumed and analyzed in {time.perf_counter() - step:.0f} s")


def _print_sizes(conn: psycopg.Connection) -> None:
    print(f"  {'table':20} {'rows':>12} {'heap':>10} {'indexes':>10} {'total':>10}")
    for table in ("tenants", "staff_members", *LOADED_TABLES):
        count, heap, index, total = conn.execute(
            f"SELECT (SELECT count(*) FROM {table}), pg_size_pretty(pg_relation_size('{table}')), "
            f"pg_size_pretty(pg_indexes_size('{table}')), pg_size_pretty(pg_total_relation_size('{table}'))"
        ).fetchone()
        print(f"  {table:20} {count:12,} {heap:>10} {index:>10} {total:>10}")
    name, size = conn.execute(
        "SELECT 'ix_complaints_tenant_id_search_text', "
        "pg_size_pretty(pg_relation_size(to_regclass('ix_complaints_tenant_id_search_text')))"
    ).fetchone()
    print(f"  of which {name}: {size}")
