"""Activities of the sales-note workflow: each is one idempotent DB transition (request id = update id)."""

from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.db import session_scope
from core.errors import DomainError
from core.temporal import heartbeating
from services import notas_venta as nv
from workflows.notas_venta import DOMAIN_ERROR, Solicitud


def _operador(s: Solicitud) -> nv.Operador:
    return nv.Operador(s.usuario_id, s.nombre, s.email, s.ip, s.user_agent)


def _run(operation: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Business refusals are final (non-retryable) and keep their HTTP status and body for the API."""
    try:
        with session_scope() as session:
            return operation(session, *args)
    except DomainError as exc:
        raise ApplicationError(exc.message, exc.status, exc.body(), type=DOMAIN_ERROR, non_retryable=True) from exc


@activity.defn(name="nv_aprobar")
@heartbeating
def nv_aprobar(nota_id: int, s: Solicitud) -> dict[str, Any]:
    return _run(nv.approve, nota_id, _operador(s), s.request_id)


@activity.defn(name="nv_emitir")
@heartbeating
def nv_emitir(nota_id: int, s: Solicitud) -> dict[str, Any]:
    return _run(nv.issue, nota_id, _operador(s), s.request_id)


@activity.defn(name="nv_anular")
@heartbeating
def nv_anular(nota_id: int, s: Solicitud) -> dict[str, Any]:
    return _run(nv.cancel, nota_id, _operador(s), s.motivo, s.request_id)


ACTIVITIES = [nv_aprobar, nv_emitir, nv_anular]
