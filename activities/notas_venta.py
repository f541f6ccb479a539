"""Activities of the sales-note workflow: each is one idempotent DB transition (request id = update id).
Names and the answer's JSON shape are those the workflow used before it called them by function."""

from collections.abc import Callable
from typing import Any

from temporalio import activity

from core.db import session_scope
from core.temporal import domain_errors_are_final, heartbeating
from services import notas_venta as nv
from workflows.entradas import EstadoNota, Solicitud, TransicionNota


def _operador(s: Solicitud) -> nv.Operador:
    return nv.Operador(s.usuario_id, s.nombre, s.email, s.ip, s.user_agent)


def _run(operation: Callable[..., EstadoNota], *args: Any) -> EstadoNota:
    """Business refusals are final (non-retryable) and keep their HTTP status and body for the API."""
    with domain_errors_are_final(), session_scope() as session:
        return operation(session, *args)


@activity.defn(name="nv_aprobar")
@heartbeating
def nv_aprobar(t: TransicionNota) -> EstadoNota:
    return _run(nv.approve, t.nota_id, _operador(t.solicitud), t.solicitud.request_id)


@activity.defn(name="nv_emitir")
@heartbeating
def nv_emitir(t: TransicionNota) -> EstadoNota:
    return _run(nv.issue, t.nota_id, _operador(t.solicitud), t.solicitud.request_id)


@activity.defn(name="nv_anular")
@heartbeating
def nv_anular(t: TransicionNota) -> EstadoNota:
    return _run(nv.cancel, t.nota_id, _operador(t.solicitud), t.solicitud.motivo, t.solicitud.request_id)


ACTIVITIES = [nv_aprobar, nv_emitir, nv_anular]
