"""Automatic audit trail: every insert/update/delete of a model that declares `__audit_module__`
writes an `audit_logs` row in the same transaction, with the acting user, IP and user agent
taken from `core.context`. Endpoints never write audit rows by hand for CRUD.
"""

from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import column, event, insert, inspect, table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from core.context import Actor, current_actor

# A lightweight handle on the table (declared in models/usuarios.py) so core needs no model import.
AUDIT_TABLE = table(
    "audit_logs",
    *(column(name) for name in (
        "usuario_id", "ip", "user_agent", "modulo", "accion", "objeto_tipo", "objeto_id",
    )),
    column("datos_anteriores_json", JSONB),
    column("datos_nuevos_json", JSONB),
)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "<binary>"
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def _columns(obj: Any) -> list[str]:
    excluded = getattr(obj, "__audit_exclude__", set())
    return [c.key for c in inspect(obj).mapper.column_attrs if c.key not in excluded]


def snapshot(obj: Any) -> dict[str, Any]:
    return {key: _json_value(getattr(obj, key)) for key in _columns(obj)}


def _update_diff(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before, after = {}, {}
    for key in _columns(obj):
        hist = state.attrs[key].history
        if hist.has_changes():
            before[key] = _json_value(hist.deleted[0]) if hist.deleted else None
            after[key] = _json_value(hist.added[0]) if hist.added else None
    return before, after


def _object_id(obj: Any) -> str | None:
    # Primary key values as assigned by the INSERT (the identity map key is not set yet in after_flush).
    values = inspect(obj).mapper.primary_key_from_instance(obj)
    return None if any(v is None for v in values) else ",".join(str(v) for v in values)


def session_actor(session: Session) -> Actor:
    """The request sets its actor on the session (thread-safe); workers fall back to the context."""
    return session.info.get("actor") or current_actor()


def _entry(actor: Actor, obj: Any, accion: str, before: dict | None, after: dict | None) -> dict[str, Any]:
    return {
        "usuario_id": actor.usuario_id, "ip": actor.ip, "user_agent": actor.user_agent,
        "modulo": obj.__audit_module__, "accion": accion, "objeto_tipo": type(obj).__tablename__,
        "objeto_id": _object_id(obj), "datos_anteriores_json": before, "datos_nuevos_json": after,
    }


def _audited(objs: Any) -> list[Any]:
    return [o for o in objs if getattr(o, "__audit_module__", None)]


def _collect_before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    """Diffs must be read before the flush resets attribute history."""
    pending = session.info.setdefault("audit_pending", [])
    for obj in _audited(session.dirty):
        if session.is_modified(obj, include_collections=False):
            before, after = _update_diff(obj)
            if after:
                pending.append(("update", obj, before, after))
    for obj in _audited(session.deleted):
        pending.append(("delete", obj, snapshot(obj), None))
    for obj in _audited(session.new):
        pending.append(("create", obj, None, None))


def _write_after_flush(session: Session, _ctx: Any) -> None:
    pending = session.info.pop("audit_pending", [])
    if not pending:
        return
    actor = session_actor(session)
    rows = [
        _entry(actor, obj, accion, before, snapshot(obj) if accion == "create" else after)
        for accion, obj, before, after in pending
    ]
    session.connection().execute(insert(AUDIT_TABLE), rows)


def install() -> None:
    """Register the hooks once for every ORM session in the process."""
    if not event.contains(Session, "before_flush", _collect_before_flush):
        event.listen(Session, "before_flush", _collect_before_flush)
        event.listen(Session, "after_flush", _write_after_flush)


def record(session: Session, modulo: str, accion: str, objeto_tipo: str, objeto_id: str | None,
           datos: dict[str, Any] | None = None) -> None:
    """An explicit audit entry for business events that are not a row change (login, approve...)."""
    actor = session_actor(session)
    session.connection().execute(insert(AUDIT_TABLE), [{
        "usuario_id": actor.usuario_id, "ip": actor.ip, "user_agent": actor.user_agent,
        "modulo": modulo, "accion": accion, "objeto_tipo": objeto_tipo, "objeto_id": objeto_id,
        "datos_anteriores_json": None, "datos_nuevos_json": _json_value(datos) if datos else None,
    }])
