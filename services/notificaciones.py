"""Internal notifications: one row per alert, deduplicated by an optional business key."""

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from models.notificaciones import Notificacion


def notificar(session: Session, tipo: str, modulo: str, titulo: str, mensaje: str = "", objeto_tipo: str = "",
              objeto_id: str = "", dedupe_key: str | None = None) -> bool:
    """Insert a notification in the caller's transaction; False when `dedupe_key` already exists."""
    stmt = insert(Notificacion.__table__).values(
        tipo=tipo, modulo=modulo, titulo=titulo[:200], mensaje=mensaje[:1000], objeto_tipo=objeto_tipo,
        objeto_id=objeto_id, dedupe_key=dedupe_key, leida=False,
    ).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return session.connection().execute(stmt).rowcount == 1
