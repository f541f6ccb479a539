"""usuarios: last accepted TOTP timestep (2FA code reuse protection)

Revision ID: 0005
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("usuarios", sa.Column("twofa_ultimo_paso", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("usuarios", "twofa_ultimo_paso")
