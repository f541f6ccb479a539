"""finanzas: what the automatic entry of a sale costs (issue 13, docs/BENCHMARKS.md).

- `finanzas_configuracion_version`: one row whose value a statement trigger on cuentas_contables,
  cuentas_operacion, centros_costo and periodos_tributarios replaces (from a sequence, so never reused) in the
  editing transaction; each API process keeps the configuration while that value has not changed
  (services.finanzas.configuracion).
- The balance check once per entry instead of once per line. The deferred constraint trigger on the entry row
  (`asientos_contables_cuadra`, 0012) already checks every new entry at COMMIT, over all its lines; the
  per-line deferred trigger `lineas_asiento_cuadra` repeated that check for each of them. It becomes a
  statement trigger (`lineas_asiento_por_verificar`, with the statement's new lines as a transition table)
  that queues a deferred check only for an entry its lines do not share a (sub)transaction with — lines added
  to an entry already committed, or inserted in another savepoint — as a row of `asientos_por_verificar`,
  whose deferred constraint trigger runs the same check at COMMIT. The guarantee is unchanged: whatever
  inserts lines, in one statement or several, an entry that does not balance cannot commit.

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-01 20:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0025'
down_revision: str | Sequence[str] | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONFIGURACION = ("cuentas_contables", "cuentas_operacion", "centros_costo", "periodos_tributarios")

# An upsert: the tests truncate every table, and the row comes back with the next edit (readers that find no
# row read the configuration afresh).
_CONFIGURACION_CAMBIA = """
CREATE FUNCTION finanzas_configuracion_cambia() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO finanzas_configuracion_version (unica, version)
    VALUES (true, nextval('finanzas_configuracion_version_seq'))
    ON CONFLICT (unica) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END $$;
"""

# Lines inserted by the same (sub)transaction as their entry have its xmin: the entry's own deferred check
# sees them. Any other entry gets a deferred check of its own (one per entry and statement).
_LINEAS_POR_VERIFICAR = """
CREATE FUNCTION finanzas_lineas_por_verificar() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO asientos_por_verificar (asiento_id)
    SELECT n.asiento_id
      FROM (SELECT DISTINCT ON (asiento_id) asiento_id, id FROM lineas_nuevas ORDER BY asiento_id, id) n
      JOIN lineas_asiento l ON l.id = n.id
      JOIN asientos_contables a ON a.id = n.asiento_id
     WHERE NOT (a.xmin = l.xmin);
    RETURN NULL;
END $$;
"""
_POR_LINEA = ("CREATE CONSTRAINT TRIGGER lineas_asiento_cuadra AFTER INSERT ON lineas_asiento "
              "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION finanzas_asiento_cuadra()")  # as in 0012


def upgrade() -> None:
    op.create_table('finanzas_configuracion_version',
    sa.Column('unica', sa.Boolean(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('unica', name='ck_finanzas_configuracion_version_unica'),
    sa.PrimaryKeyConstraint('unica')
    )
    op.execute("CREATE SEQUENCE finanzas_configuracion_version_seq")
    op.execute(_CONFIGURACION_CAMBIA)
    op.execute("INSERT INTO finanzas_configuracion_version VALUES (true, nextval('finanzas_configuracion_version_seq'))")
    for t in CONFIGURACION:
        op.execute(f"CREATE TRIGGER {t}_configuracion_cambia AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION finanzas_configuracion_cambia()")
    op.create_table('asientos_por_verificar',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('asiento_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.execute(_LINEAS_POR_VERIFICAR)
    op.execute("DROP TRIGGER lineas_asiento_cuadra ON lineas_asiento")
    op.execute("CREATE TRIGGER lineas_asiento_por_verificar AFTER INSERT ON lineas_asiento "
               "REFERENCING NEW TABLE AS lineas_nuevas FOR EACH STATEMENT EXECUTE FUNCTION finanzas_lineas_por_verificar()")
    op.execute("CREATE CONSTRAINT TRIGGER asientos_por_verificar_cuadra AFTER INSERT ON asientos_por_verificar "
               "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION finanzas_asiento_cuadra()")


def downgrade() -> None:
    op.execute("DROP TRIGGER lineas_asiento_por_verificar ON lineas_asiento")
    op.execute(_POR_LINEA)
    op.drop_table('asientos_por_verificar')
    op.execute("DROP FUNCTION finanzas_lineas_por_verificar()")
    for t in CONFIGURACION:
        op.execute(f"DROP TRIGGER {t}_configuracion_cambia ON {t}")
    op.execute("DROP FUNCTION finanzas_configuracion_cambia()")
    op.execute("DROP SEQUENCE finanzas_configuracion_version_seq")
    op.drop_table('finanzas_configuracion_version')
