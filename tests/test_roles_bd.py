"""The app's database role (DATABASE_URL) cannot bypass the append-only guarantees: every way around the
triggers on audit_logs and movimientos_stock is refused to it, while the owner (migrations) keeps them."""

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import DBAPIError

from core.db import get_engine
from core.settings import get_settings


@pytest.fixture
def app_engine(db: None) -> Engine:
    """The engine the API and the worker use, with one kardex row and one audit row to attack."""
    engine = get_engine()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_logs (modulo, accion, objeto_tipo) VALUES ('test', 'create', 'x')"))
    return engine


def _refused(engine: Engine, sql: str) -> str:
    with pytest.raises(DBAPIError) as err, engine.begin() as conn:
        conn.execute(text(sql))
    return str(err.value.orig)


BYPASSES = {
    "truncate_audit": "TRUNCATE audit_logs",
    "truncate_kardex": "TRUNCATE movimientos_stock",
    "disable_trigger": "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only",
    "disable_all_triggers": "ALTER TABLE movimientos_stock DISABLE TRIGGER ALL",
    "drop_trigger": "DROP TRIGGER audit_logs_append_only ON audit_logs",
    "drop_kardex_trigger": "DROP TRIGGER movimientos_stock_append_only ON movimientos_stock",
    "replication_role": "SET session_replication_role = replica",
    "local_replication_role": "SET LOCAL session_replication_role = replica",
    "detach_partition": "ALTER TABLE movimientos_stock DETACH PARTITION movimientos_stock_default",
    "update_audit": "UPDATE audit_logs SET modulo = 'x'",
    "delete_audit": "DELETE FROM audit_logs",
    "update_kardex": "UPDATE movimientos_stock SET cantidad = 0",
    "delete_kardex": "DELETE FROM movimientos_stock",
    "update_partition": "UPDATE movimientos_stock_default SET cantidad = 0",
    "create_table": "CREATE TABLE intruso (id int)",
    "replace_function": "CREATE OR REPLACE FUNCTION erp_refuse_change() RETURNS trigger LANGUAGE plpgsql "
                        "AS $$ BEGIN RETURN NEW; END $$",
    "drop_table": "DROP TABLE audit_logs",
    "alembic_version": "UPDATE alembic_version SET version_num = version_num",
}


@pytest.mark.parametrize("sql", BYPASSES.values(), ids=BYPASSES.keys())
def test_the_app_role_cannot_bypass_append_only(app_engine: Engine, sql: str) -> None:
    antes = _audit_rows(app_engine)
    message = _refused(app_engine, sql)
    assert "permission denied" in message or "must be owner" in message or "must be superuser" in message, message
    assert _audit_rows(app_engine) == antes


def _audit_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_logs")).scalar_one()


def test_the_app_role_is_a_plain_login_role(app_engine: Engine) -> None:
    with app_engine.connect() as conn:
        role = conn.execute(text(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls FROM pg_roles "
            "WHERE rolname = current_user")).one()
        owned = conn.execute(text(
            "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        )).scalar_one()
    assert tuple(role) == (False, False, False, False, False)
    assert owned == 0
    assert make_url(get_settings().database_url).username != make_url(get_settings().owner_url).username


def test_the_app_role_does_its_work(app_engine: Engine) -> None:
    """What the app needs still works: rows, sequences, NOTIFY, advisory locks, next months' partitions."""
    with app_engine.begin() as conn:
        assert conn.execute(text("SELECT erp_crear_particiones_movimientos(CAST('2040-01-01' AS date), 2)")
                            ).scalar_one() == 2
        conn.execute(text("SELECT pg_advisory_xact_lock(42)"))
        conn.execute(text("SELECT pg_notify('outbox', '')"))
        conn.execute(text("INSERT INTO roles (nombre, descripcion) VALUES ('TEMPORAL', '')"))
        conn.execute(text("UPDATE roles SET descripcion = 'x' WHERE nombre = 'TEMPORAL'"))
        conn.execute(text("DELETE FROM roles WHERE nombre = 'TEMPORAL'"))
        owner = conn.execute(text("SELECT tableowner FROM pg_tables WHERE tablename = 'movimientos_stock_204001'")
                             ).scalar_one()
    assert owner == make_url(get_settings().owner_url).username


def test_the_owner_keeps_control(owner_engine: Engine, app_engine: Engine) -> None:
    """Migrations still may change the schema: the split takes nothing from the owner."""
    with owner_engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only"))
        conn.execute(text("ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_append_only"))
