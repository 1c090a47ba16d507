#!/bin/sh
# First start of the compose file's PostgreSQL: the database, its owner (runs migrations) and the application
# role (owns nothing, no BYPASSRLS: row-level security applies to it), and the backup role (reads everything).
# Passwords come from the environment.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
CREATE ROLE dadras_owner LOGIN PASSWORD '${OWNER_DB_PASSWORD}';
CREATE ROLE dadras_app LOGIN PASSWORD '${APP_DB_PASSWORD}' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
-- For dadras backup: reads every row (row-level security is forced, on the owner too) and writes nothing.
CREATE ROLE dadras_backup LOGIN PASSWORD '${BACKUP_DB_PASSWORD}' BYPASSRLS;
GRANT pg_read_all_data TO dadras_backup;
ALTER ROLE dadras_app SET jit = off;
CREATE DATABASE dadras OWNER dadras_owner;
SQL
# What `dadras allow-indexed-search` does: lets the complaint search use its trigram index under RLS.
psql -v ON_ERROR_STOP=1 --username postgres --dbname dadras -c "ALTER FUNCTION pg_catalog.textlike(text, text) LEAKPROOF"
