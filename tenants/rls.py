"""The PostgreSQL lock's DDL: row-level security per tenant-owned table, and the application role's grants."""

from __future__ import annotations

POLICY = "tenant_isolation"
_CURRENT = "NULLIF(current_setting('app.tenant_id', true), '')::integer"


def enable_rls(table: str) -> list[str]:
    """Statements that enable and force RLS on `table` with the tenant policy (unset: no rows)."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {table}",
        f"CREATE POLICY {POLICY} ON {table} USING (tenant_id = {_CURRENT}) WITH CHECK (tenant_id = {_CURRENT})",
    ]


def grant_app_role(role: str) -> list[str]:
    """Statements that let the application role read and write the data, and nothing more.

    The role owns no table and so cannot alter them or bypass RLS; it is granted only if it exists,
    so a database can be migrated before the role is made (then run `dadras db grant`).
    """
    quoted = '"' + role.replace('"', '""') + '"'
    body = f"""  # noqa: S608 - the role comes from settings and is quoted as an identifier
        GRANT USAGE ON SCHEMA public TO {quoted};
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted};
        REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {quoted};
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {quoted};
    """
    literal = "'" + role.replace("'", "''") + "'"
    # The role name is quoted as an identifier and as a literal; it comes from settings, not users.
    return [f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {literal}) THEN {body} END IF; END $$"]
