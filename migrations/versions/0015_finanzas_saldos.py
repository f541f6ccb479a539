"""finanzas: saldos_mensuales, the per-account sums of each closed tax period (the ledger's opening balance
reads them instead of every earlier line; periods already closed are filled in), and the lock that makes a
close see every write that saw its month open: each write to a table the period trigger guards takes a shared
advisory lock (writers never wait for each other), the close takes it exclusively (it waits for the writes in
flight, and new ones wait for it, then find the month closed).

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-01 14:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | Sequence[str] | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


PERIOD_TABLES = ("comprobantes", "asientos_contables", "pagos_cobros", "movimientos_stock")  # as in 0012
_ESPERAR_CIERRE = """
CREATE FUNCTION finanzas_esperar_cierre() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext('finanzas_cierre_periodo'));
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(_ESPERAR_CIERRE)
    for t in PERIOD_TABLES:
        op.execute(f"CREATE TRIGGER {t}_esperar_cierre BEFORE INSERT OR UPDATE OR DELETE ON {t} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION finanzas_esperar_cierre()")
    op.create_table('saldos_mensuales',
    sa.Column('periodo', sa.String(length=6), nullable=False),
    sa.Column('cuenta_id', sa.Integer(), nullable=False),
    sa.Column('centro_costo_id', sa.Integer(), nullable=False),
    sa.Column('debe', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('haber', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['centro_costo_id'], ['centros_costo.id'], ),
    sa.ForeignKeyConstraint(['cuenta_id'], ['cuentas_contables.id'], ),
    sa.PrimaryKeyConstraint('periodo', 'cuenta_id', 'centro_costo_id')
    )
    op.create_index('ix_saldos_mensuales_cuenta', 'saldos_mensuales', ['cuenta_id', 'periodo'],
                    postgresql_include=['centro_costo_id', 'debe', 'haber'])
    op.execute("""
        INSERT INTO saldos_mensuales (periodo, cuenta_id, centro_costo_id, debe, haber)
        SELECT to_char(l.fecha, 'YYYYMM'), l.cuenta_id, l.centro_costo_id, sum(l.debe), sum(l.haber)
        FROM lineas_asiento l JOIN periodos_tributarios p
          ON p.anio = extract(year FROM l.fecha) AND p.mes = extract(month FROM l.fecha) AND p.estado = 'CERRADO'
        GROUP BY 1, 2, 3
    """)


def downgrade() -> None:
    op.drop_table('saldos_mensuales')
    for t in PERIOD_TABLES:
        op.execute(f"DROP TRIGGER {t}_esperar_cierre ON {t}")
    op.execute("DROP FUNCTION finanzas_esperar_cierre()")
