"""Run Alembic migrations programmatically (CLI, `erp up` and the test fixtures), as the owner role, then
give the application's login role exactly the privileges the API and the worker need.

Two roles (README "Database roles"): the owner (DATABASE_OWNER_URL) owns every table and runs migrations;
the app role (DATABASE_URL) may read and write rows and nothing else: no TRUNCATE, no DDL, no trigger
control, no superuser settings (session_replication_role). Append-only tables (those whose rows are guarded
by the erp_refuse_change() trigger) get no UPDATE/DELETE privilege either, so the trigger is a second wall.
"""

import logging

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, make_url, text
from sqlalchemy.exc import DBAPIError

from core.settings import ROOT

log = logging.getLogger(__name__)

# Tables whose rows carry the append-only trigger (partitions inherit it as a cloned trigger).
APPEND_ONLY_SQL = text("""
    SELECT DISTINCT c.relname FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE t.tgfoid = 'erp_refuse_change()'::regprocedure AND n.nspname = 'public' ORDER BY 1
""")
# Functions the app calls that run with the owner's rights (created by the migrations).
APP_FUNCTIONS = ["erp_crear_particiones_movimientos(date, int)"]


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def upgrade(owner_url: str, app_url: str | None = None) -> None:
    """Migrate as the owner; with `app_url`, (re)grant its role afterwards, which covers the tables any
    migration just created. Without it the API runs as the owner: a warning says so."""
    # Every module's branch off the core revision, one head at a time: Alembic's "heads" target trips over
    # a branch that depends_on sibling branches (KeyError in its head bookkeeping).
    cfg = alembic_config(owner_url)
    for head in sorted(ScriptDirectory.from_config(cfg).get_heads()):
        command.upgrade(cfg, head)
    if app_url and app_url != owner_url:
        grant_app_role(owner_url, app_url)
    else:
        log.warning("DATABASE_OWNER_URL is not set apart from DATABASE_URL: the API and the worker connect "
                    "as the role that owns the tables, and the append-only triggers hold only against honest code")


def _execute_formatted(conn: Connection, template: str, *args: str) -> None:
    """Run DDL whose identifiers/literals are quoted by the server's format() (%I, %L)."""
    placeholders = ", ".join(f"CAST(:a{i} AS text)" for i in range(len(args)))
    statement = conn.execute(text(f"SELECT format(:t, {placeholders})"),
                             {"t": template, **{f"a{i}": a for i, a in enumerate(args)}}).scalar_one()
    conn.execute(text(statement))


def ensure_login_role(conn: Connection, user: str, password: str | None) -> None:
    """Create the app's login role if missing (the owner needs CREATEROLE), keep its password in step with
    the environment, and refuse to go on if it could bypass the database's rules."""
    row = conn.execute(text("SELECT rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb OR rolreplication "
                            "FROM pg_roles WHERE rolname = :u"), {"u": user}).first()
    if row is None:
        if not password:
            raise RuntimeError(f"DATABASE_URL names role {user!r}, which does not exist; give it a password")
        try:
            _execute_formatted(conn, "CREATE ROLE %I LOGIN PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE "
                                     "NOREPLICATION NOBYPASSRLS", user, password)
        except DBAPIError as exc:  # re-raised without the statement: it holds the password
            raise RuntimeError(f"could not create role {user!r} (the owner needs CREATEROLE): "
                               f"{exc.orig.diag.message_primary}") from None
        return
    if row[0]:
        raise RuntimeError(f"the app role {user!r} is a superuser or holds role/database/replication "
                           "privileges; give DATABASE_URL a plain login role")
    if password:
        try:
            with conn.begin_nested():  # a role provisioned by a DBA may not be ours to change: keep it then
                _execute_formatted(conn, "ALTER ROLE %I PASSWORD %L", user, password)
        except DBAPIError:
            log.info("password of role %s left as its administrator set it", user)


def grant_app_role(owner_url: str, app_url: str) -> None:
    """Row privileges on every table and sequence of the schema (now and, through default privileges, for
    tables the owner creates later), none on alembic_version, SELECT/INSERT only on append-only tables."""
    from core.db import make_engine

    owner, app = make_url(owner_url), make_url(app_url)
    if owner.username == app.username:
        raise RuntimeError("DATABASE_URL and DATABASE_OWNER_URL must name different roles")
    engine = make_engine(owner_url, pool_size=1)
    try:
        with engine.begin() as conn:
            ensure_login_role(conn, app.username, app.password)
            role = app.username
            statements = [
                ("GRANT CONNECT ON DATABASE %I TO %I", conn.execute(text("SELECT current_database()")).scalar_one()),
                ("GRANT USAGE ON SCHEMA public TO %I",),
                ("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I",),
                ("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I",),
                ("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I",),
                ("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO %I",),
                ("REVOKE ALL ON TABLE alembic_version FROM %I",),
            ]
            for template, *args in statements:
                _execute_formatted(conn, template, *args, role)
            for table in conn.execute(APPEND_ONLY_SQL).scalars():
                _execute_formatted(conn, "REVOKE UPDATE, DELETE ON TABLE %I FROM %I", table, role)
            for function in APP_FUNCTIONS:
                _execute_formatted(conn, f"GRANT EXECUTE ON FUNCTION {function} TO %I", role)
    finally:
        engine.dispose()
