"""roles_bd: the kardex partitions are created by a definer function, so the app role needs no DDL

The API and the worker connect as a login role without DDL privileges (see core.migrate.grant_app_role).
The daily inventory job still creates next months' partitions of movimientos_stock: the function runs
with its owner's rights (the migration role), with a pinned search_path, and only roles granted EXECUTE
may call it.

Revision ID: 0009
Revises: 0001
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0002"

FUNCTION = "erp_crear_particiones_movimientos(date, int)"


def upgrade() -> None:
    op.execute(f"ALTER FUNCTION {FUNCTION} SECURITY DEFINER SET search_path = public, pg_temp")
    op.execute(f"REVOKE EXECUTE ON FUNCTION {FUNCTION} FROM PUBLIC")
    # PostgreSQL ≥ 15 already refuses CREATE on public to PUBLIC; older servers granted it.
    op.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")


def downgrade() -> None:
    op.execute(f"GRANT EXECUTE ON FUNCTION {FUNCTION} TO PUBLIC")
    op.execute(f"ALTER FUNCTION {FUNCTION} SECURITY INVOKER RESET search_path")
