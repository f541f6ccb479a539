"""Idempotent creation: a retried request with the same Idempotency-Key gets the first answer back.

`run` opens one database transaction, serialises requests with the same (user, key) on an advisory lock,
and either replays the stored answer or runs the creation with a session joined to that transaction
(`join_transaction_mode="create_savepoint"`: the service's own `commit()` only releases a savepoint). The
answer is stored in the same transaction as the document, so either both exist or neither does."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import delete, func, insert, select, text
from sqlmodel import Session

from core.errors import UnprocessableError
from models.idempotencia import ClaveIdempotencia

RETENTION = timedelta(hours=24)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    replayed: bool


def fingerprint(operation: str, inputs: list[Any]) -> str:
    """What the request asked for: the operation and its inputs as canonical JSON."""
    canonical = json.dumps([operation, to_jsonable_python(inputs)], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def run(session: Session, usuario_id: int, key: str, huella: str, status: int,
        create: Callable[[Session], Any]) -> Answer:
    """The stored answer for (usuario_id, key), or `create(session)`'s result (JSON-ready: the caller serialises
    it as the response) stored with it atomically. The same key with another request (huella) → 422."""
    with session.get_bind().connect() as conn, conn.begin():
        conn.execute(text("SELECT pg_advisory_xact_lock(:u, hashtext(:k))"), {"u": usuario_id, "k": key})
        stored = conn.execute(select(ClaveIdempotencia.huella, ClaveIdempotencia.estado, ClaveIdempotencia.cuerpo)
                              .where(ClaveIdempotencia.usuario_id == usuario_id,
                                     ClaveIdempotencia.clave == key)).one_or_none()
        if stored is not None:
            if stored.huella != huella:
                raise UnprocessableError("Idempotency-Key ya usada para otra solicitud", field="Idempotency-Key")
            return Answer(stored.estado, stored.cuerpo, replayed=True)
        with Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False,
                     info={k: v for k, v in session.info.items() if k == "actor"}) as joined:
            body = to_jsonable_python(create(joined))
        conn.execute(insert(ClaveIdempotencia.__table__).values(  # type: ignore[attr-defined]
            usuario_id=usuario_id, clave=key, huella=huella, estado=status, cuerpo=body))
    return Answer(status, body, replayed=False)


def purge(session: Session) -> int:
    """Keys older than RETENTION: a client retries within minutes, not days."""
    return session.execute(delete(ClaveIdempotencia).where(
        ClaveIdempotencia.created_at < func.now() - RETENTION)).rowcount
