"""Gapless correlatives per (tipo, serie), allocated inside the caller's transaction.

`INSERT ... ON CONFLICT DO UPDATE ... RETURNING` takes the series row lock for the rest of the
transaction: concurrent emitters on one series queue on that row, each gets the next number, and a
rolled-back transaction gives its number back (nothing is consumed unless the comprobante commits).
"""

from sqlalchemy import text
from sqlmodel import Session

_SIGUIENTE = text("""
    INSERT INTO series (tipo, serie, ultimo_numero) VALUES (:tipo, :serie, 1)
    ON CONFLICT (tipo, serie) DO UPDATE SET ultimo_numero = series.ultimo_numero + 1
    RETURNING ultimo_numero
""")


def siguiente_numero(session: Session, tipo: str, serie: str) -> int:
    """The next number of the series; the row stays locked until the caller commits or rolls back."""
    return session.execute(_SIGUIENTE, {"tipo": tipo, "serie": serie}).scalar_one()
