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


# The slug-less tracking page finds a code's organization. The application role never reads another tenant's
# rows: it calls tenant_of_code, owned by the tables' owner (SECURITY DEFINER), which answers one exact code's
# tenant id and nothing else; the owner may read every tracking code (a policy for that role alone).
def code_directory(app_role: str) -> list[str]:
    quoted = '"' + app_role.replace('"', '""') + '"'
    literal = "'" + app_role.replace("'", "''") + "'"
    grant = f"SELECT 1 FROM pg_roles WHERE rolname = {literal}"  # noqa: S608 - a setting, quoted
    return [
        "DROP POLICY IF EXISTS code_directory ON tracking_codes",
        "CREATE POLICY code_directory ON tracking_codes FOR SELECT TO CURRENT_USER USING (true)",
        "CREATE OR REPLACE FUNCTION tenant_of_code(code text) RETURNS integer LANGUAGE sql STABLE "
        "SECURITY DEFINER SET search_path = pg_catalog, public "
        "AS $$ SELECT tenant_id FROM public.tracking_codes WHERE tracking_codes.code = $1 $$",
        "REVOKE ALL ON FUNCTION tenant_of_code(text) FROM PUBLIC",
        f"DO $$ BEGIN IF EXISTS ({grant}) THEN GRANT EXECUTE ON FUNCTION tenant_of_code(text) TO {quoted}; "
        "END IF; END $$",
    ]


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
