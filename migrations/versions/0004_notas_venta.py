"""notas de venta (Chile): configuracion_chile, sales_note_sequences, sales_notes, items, audit; lock triggers

Revision ID: 0004
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NV_NUMBER_SQL = "lpad(nv_seq::text, greatest(3, length(nv_seq::text)), '0') || '-' || nv_year::text"
# Columns an issued note may still change: only the cancellation itself. nv_number is left out of the
# comparison because generated columns are not yet computed in a BEFORE trigger (nv_year/nv_seq are compared).
CANCEL_COLUMNS = "'status', 'version', 'updated_at', 'cancelled_by', 'cancelled_at', 'cancel_reason', 'nv_number'"


def _timestamptz(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "configuracion_chile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("razon_social", sa.String(length=200), nullable=False),
        sa.Column("rut", sa.String(length=12), nullable=False),
        sa.Column("giro", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=200), nullable=False),
        sa.Column("direccion", sa.String(length=300), nullable=False),
        sa.Column("cargo_aprobador", sa.String(length=120), nullable=False),
        sa.Column("iva_tasa", sa.Numeric(5, 4), nullable=False),
        sa.CheckConstraint("id = 1", name="configuracion_chile_singleton"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "sales_note_sequences",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "sales_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nv_year", sa.Integer(), nullable=False),
        sa.Column("nv_seq", sa.Integer(), nullable=False),
        sa.Column("nv_number", sa.String(length=20),
                  sa.Computed(NV_NUMBER_SQL, persisted=True)),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("customer_rut", sa.String(length=12), nullable=False),
        sa.Column("customer_razon_social", sa.String(length=200), nullable=False),
        sa.Column("customer_giro", sa.String(length=200), nullable=False),
        sa.Column("customer_direccion", sa.String(length=300), nullable=False),
        sa.Column("customer_comuna", sa.String(length=100), nullable=False),
        sa.Column("customer_ciudad", sa.String(length=100), nullable=False),
        sa.Column("customer_contacto", sa.String(length=200), nullable=False),
        sa.Column("forma_pago", sa.String(length=200), nullable=False),
        sa.Column("proyecto", sa.String(length=200), nullable=False),
        sa.Column("presupuesto", sa.String(length=100), nullable=False),
        sa.Column("observaciones", sa.String(length=2000), nullable=False),
        sa.Column("vendedor", sa.String(length=150), nullable=False),
        sa.Column("vat_rate", sa.Numeric(5, 4), nullable=False),
        sa.Column("neto", sa.Numeric(14, 2), nullable=False),
        sa.Column("iva", sa.Numeric(14, 2), nullable=False),
        sa.Column("total", sa.Numeric(14, 2), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("usuarios.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        _timestamptz("updated_at"),
        sa.Column("approved_by", sa.Integer(), sa.ForeignKey("usuarios.id"), nullable=True),
        sa.Column("approved_by_name", sa.String(length=150), nullable=True),
        _timestamptz("approved_at"),
        sa.Column("approved_ip", sa.String(length=64), nullable=True),
        sa.Column("approved_ua", sa.String(length=512), nullable=True),
        sa.Column("emitted_by", sa.Integer(), sa.ForeignKey("usuarios.id"), nullable=True),
        _timestamptz("emitted_at"),
        sa.Column("pdf_hash", sa.String(length=64), nullable=True),
        sa.Column("pdf_path", sa.String(length=300), nullable=True),
        sa.Column("emisor_json", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("cancelled_by", sa.Integer(), sa.ForeignKey("usuarios.id"), nullable=True),
        _timestamptz("cancelled_at"),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'approved', 'issued', 'cancelled')", name="sales_notes_status"),
        sa.CheckConstraint("nv_seq > 0", name="sales_notes_seq_positive"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nv_year", "nv_seq", name="uq_sales_notes_year_seq"),
        sa.UniqueConstraint("nv_number"),
    )
    op.create_index("ix_sales_notes_customer_rut", "sales_notes", ["customer_rut"])
    op.create_index("ix_sales_notes_status_year", "sales_notes", ["status", "nv_year"])
    op.create_table(
        "sales_note_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sales_note_id", sa.Integer(), sa.ForeignKey("sales_notes.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Numeric(14, 4), nullable=False),
        sa.Column("unit_price", sa.Numeric(14, 2), nullable=False),
        sa.Column("discount_pct", sa.Numeric(5, 2), nullable=False),
        sa.Column("line_total", sa.Numeric(14, 2), nullable=False),
        sa.CheckConstraint("quantity > 0", name="sales_note_items_quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="sales_note_items_price_non_negative"),
        sa.CheckConstraint("discount_pct >= 0 AND discount_pct <= 100", name="sales_note_items_discount_range"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sales_note_items_sales_note_id", "sales_note_items", ["sales_note_id"])
    op.create_table(
        "sales_note_audit",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("sales_note_id", sa.Integer(), sa.ForeignKey("sales_notes.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("usuarios.id"), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("payload_json", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index("ix_sales_note_audit_sales_note_id", "sales_note_audit", ["sales_note_id"])
    op.execute("""
        CREATE TRIGGER sales_note_audit_append_only BEFORE UPDATE OR DELETE ON sales_note_audit
        FOR EACH ROW EXECUTE FUNCTION erp_refuse_change();
    """)
    # "Bloqueo total tras issued": whoever connects, an issued note can only become cancelled (and nothing
    # else may change with it); a cancelled note and the items of an issued or cancelled note never change.
    op.execute(f"""
        CREATE FUNCTION erp_sales_note_lock() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.status = 'issued' AND TG_OP = 'UPDATE' AND NEW.status = 'cancelled'
               AND to_jsonb(NEW) - ARRAY[{CANCEL_COLUMNS}] = to_jsonb(OLD) - ARRAY[{CANCEL_COLUMNS}] THEN
                RETURN NEW;
            END IF;
            IF OLD.status IN ('issued', 'cancelled') THEN
                RAISE EXCEPTION 'la nota de venta % está %: no puede modificarse', OLD.nv_number, OLD.status
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$;
    """)
    op.execute("""
        CREATE TRIGGER sales_notes_lock BEFORE UPDATE OR DELETE ON sales_notes
        FOR EACH ROW EXECUTE FUNCTION erp_sales_note_lock();
    """)
    op.execute("""
        CREATE FUNCTION erp_sales_note_items_lock() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            note_status text;
        BEGIN
            SELECT status INTO note_status FROM sales_notes
            WHERE id = CASE WHEN TG_OP = 'INSERT' THEN NEW.sales_note_id ELSE OLD.sales_note_id END;
            IF note_status IN ('issued', 'cancelled') THEN
                RAISE EXCEPTION 'los ítems de una nota de venta % no pueden modificarse', note_status
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$;
    """)
    op.execute("""
        CREATE TRIGGER sales_note_items_lock BEFORE INSERT OR UPDATE OR DELETE ON sales_note_items
        FOR EACH ROW EXECUTE FUNCTION erp_sales_note_items_lock();
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER sales_note_items_lock ON sales_note_items")
    op.execute("DROP FUNCTION erp_sales_note_items_lock()")
    op.execute("DROP TRIGGER sales_notes_lock ON sales_notes")
    op.execute("DROP FUNCTION erp_sales_note_lock()")
    op.execute("DROP TRIGGER sales_note_audit_append_only ON sales_note_audit")
    op.drop_table("sales_note_audit")
    op.drop_table("sales_note_items")
    op.drop_table("sales_notes")
    op.drop_table("sales_note_sequences")
    op.drop_table("configuracion_chile")
