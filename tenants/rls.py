"""The PostgreSQL lock's DDL: row-level security per tenant-owned table, and the application role's grants."""

from __future__ import annotations

POLICY = "tenant_isolation"
# The follow-up log: the application may add lines, never change or remove one.
APPEND_ONLY = ("complaint_events",)
# Records kept for good: a complaint and its tracking code are closed or withdrawn, never deleted.
NEVER_DELETED = ("complaints", "tracking_codes")
_CURRENT = "NULLIF(current_setting('app.tenant_id', true), '')::integer"


def enable_rls(table: str) -> list[str]:
    """Statements that enable and force RLS on `table` with the tenant policy (unset: no rows)."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {table}",
        f"CREATE POLICY {POLICY} ON {table} USING (tenant_id = {_CURRENT}) WITH CHECK (tenant_id = {_CURRENT})",
    ]


def _directory(app_role: str, table: str, policy: str, signature: str, definition: str) -> list[str]:
    """A SECURITY DEFINER function owned by the tables' owner, which may read every row of `table` (a policy for
    that role alone), callable by the application role: an answer across tenants, and nothing more."""
    quoted = '"' + app_role.replace('"', '""') + '"'
    literal = "'" + app_role.replace("'", "''") + "'"
    grant = f"SELECT 1 FROM pg_roles WHERE rolname = {literal}"  # noqa: S608 - a setting, quoted
    return [
        f"DROP POLICY IF EXISTS {policy} ON {table}",
        f"CREATE POLICY {policy} ON {table} FOR SELECT TO CURRENT_USER USING (true)",
        f"CREATE OR REPLACE FUNCTION {definition}",
        f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC",
        f"DO $$ BEGIN IF EXISTS ({grant}) THEN GRANT EXECUTE ON FUNCTION {signature} TO {quoted}; END IF; END $$",
    ]


# The slug-less tracking page finds a code's organization. The application role never reads another tenant's
# rows: it calls tenant_of_code, which answers one exact code's tenant id and nothing else.
def code_directory(app_role: str) -> list[str]:
    return _directory(
        app_role,
        "tracking_codes",
        "code_directory",
        "tenant_of_code(text)",
        "tenant_of_code(code text) RETURNS integer LANGUAGE sql STABLE "
        "SECURITY DEFINER SET search_path = pg_catalog, public "
        "AS $$ SELECT tenant_id FROM public.tracking_codes WHERE tracking_codes.code = $1 $$",
    )


# The outbox relay finds, across tenants, the notices due for an attempt. The application role still reads no
# other tenant's notice: it calls due_notices, which answers (tenant id, notice id) pairs and nothing of their
# content; each notice is then read and sent in its own tenant's scope.
def notice_directory(app_role: str) -> list[str]:
    return _directory(
        app_role,
        "notices",
        "notice_directory",
        "due_notices(timestamptz, integer)",
        "due_notices(due_by timestamptz, most integer) "
        "RETURNS TABLE(tenant_id integer, notice_id integer) LANGUAGE sql STABLE "
        "SECURITY DEFINER SET search_path = pg_catalog, public "
        "AS $$ SELECT n.tenant_id, n.id FROM public.notices n WHERE n.status IN ('pending', 'sending') "
        "AND n.next_attempt_at <= $1 ORDER BY n.next_attempt_at LIMIT $2 $$",
    )


# The mailbox reader finds, across tenants, the active organizations with a connection of one kind (a mailbox).
# The application role reads no other tenant's account: tenants_with_channel answers tenant ids and nothing else.
def channel_directory(app_role: str) -> list[str]:
    return _directory(
        app_role,
        "channel_accounts",
        "channel_directory",
        "tenants_with_channel(text)",
        "tenants_with_channel(kind text) RETURNS SETOF integer LANGUAGE sql STABLE "
        "SECURITY DEFINER SET search_path = pg_catalog, public "
        "AS $$ SELECT a.tenant_id FROM public.channel_accounts a JOIN public.tenants t ON t.id = a.tenant_id "
        "WHERE a.channel = $1 AND a.is_active AND t.is_active ORDER BY a.tenant_id $$",
    )


# The log is append-only for the application, with one exception, made here and nowhere else: once a complaint's
# personal data is removed (services.records.retention), the body and data of its entries may be rewritten
# without it. The function runs as the tables' owner, which row-level security still holds to the tenant in
# scope; it changes nothing of an entry whose complaint keeps its personal data.
LOG_SCRUBBER = (
    "CREATE OR REPLACE FUNCTION scrub_log_entry(entry integer, new_body text, new_data jsonb) RETURNS void "
    "LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$ "
    "UPDATE public.complaint_events e SET body = new_body, data = new_data WHERE e.id = entry AND EXISTS "
    "(SELECT 1 FROM public.complaints c WHERE c.id = e.complaint_id AND c.anonymized_at IS NOT NULL) $$",
    "REVOKE ALL ON FUNCTION scrub_log_entry(integer, text, jsonb) FROM PUBLIC",
)


def grant_app_role(role: str) -> list[str]:
    """Statements that let the application role read and write the data, and nothing more.

    The role owns no table and so cannot alter them or bypass RLS; it is granted only if it exists,
    so a database can be migrated before the role is made (then run `dadras grant-app-role`).
    """
    quoted = '"' + role.replace('"', '""') + '"'
    literal = "'" + role.replace("'", "''") + "'"
    grants = (
        "GRANT USAGE ON SCHEMA public TO {r}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
        "REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {r}",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    )
    revokes = tuple(
        f"IF to_regclass('public.{t}') IS NOT NULL THEN REVOKE UPDATE, DELETE, TRUNCATE ON {t} FROM {{r}}; END IF"
        for t in APPEND_ONLY
    ) + tuple(
        f"IF to_regclass('public.{t}') IS NOT NULL THEN REVOKE DELETE, TRUNCATE ON {t} FROM {{r}}; END IF"
        for t in NEVER_DELETED
    )
    functions = (
        "IF to_regprocedure('tenant_of_code(text)') IS NOT NULL THEN "
        "GRANT EXECUTE ON FUNCTION tenant_of_code(text) TO {r}; END IF",
        "IF to_regprocedure('due_notices(timestamptz, integer)') IS NOT NULL THEN "
        "GRANT EXECUTE ON FUNCTION due_notices(timestamptz, integer) TO {r}; END IF",
        "IF to_regprocedure('tenants_with_channel(text)') IS NOT NULL THEN "
        "GRANT EXECUTE ON FUNCTION tenants_with_channel(text) TO {r}; END IF",
        "IF to_regprocedure('scrub_log_entry(integer, text, jsonb)') IS NOT NULL THEN "
        "GRANT EXECUTE ON FUNCTION scrub_log_entry(integer, text, jsonb) TO {r}; END IF",
    )
    body = "; ".join(g.format(r=quoted) for g in (*grants, *revokes, *functions))
    # The role name comes from settings, not from users, and is quoted as an identifier and a literal.
    check = f"SELECT 1 FROM pg_roles WHERE rolname = {literal}"  # noqa: S608
    return [f"DO $$ BEGIN IF EXISTS ({check}) THEN {body}; END IF; END $$"]


# Row-level security lets PostgreSQL use a condition inside an index only if its function is LEAKPROOF; LIKE's
# is not, so the trigram search index would never serve the application role. textlike raises an error only
# for a malformed pattern; our queries always pass a constant, escaped pattern, so no row's content can show
# through an error. The mark is database-wide: any query comparing a column as a pattern (`x LIKE column`)
# could reveal that column's malformed values through errors, and no query of ours does so.
SEARCH_LEAKPROOF = "ALTER FUNCTION pg_catalog.textlike(text, text) LEAKPROOF"


def allow_indexed_search() -> str:
    """A statement that marks LIKE leakproof when run by a superuser, and warns otherwise."""
    return _ALLOW_INDEXED_SEARCH


_ALLOW_INDEXED_SEARCH = """DO $$ BEGIN
IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    ALTER FUNCTION pg_catalog.textlike(text, text) LEAKPROOF;
ELSE
    RAISE WARNING 'complaint search cannot use its index until a superuser runs dadras allow-indexed-search';
END IF;
END $$"""
