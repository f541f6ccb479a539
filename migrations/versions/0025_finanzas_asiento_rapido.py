"""finanzas: what the automatic entry of a sale costs (issue 13, docs/BENCHMARKS.md).

- `finanzas_configuracion_version`: one row whose value a statement trigger on cuentas_contables,
  cuentas_operacion, centros_costo and periodos_tributarios replaces (from a sequence, so never reused) in the
  editing transaction; each API process keeps the configuration while that value has not changed
  (services.finanzas.configuracion).

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


def downgrade() -> None:
    for t in CONFIGURACION:
        op.execute(f"DROP TRIGGER {t}_configuracion_cambia ON {t}")
    op.execute("DROP FUNCTION finanzas_configuracion_cambia()")
    op.execute("DROP SEQUENCE finanzas_configuracion_version_seq")
    op.drop_table('finanzas_configuracion_version')
