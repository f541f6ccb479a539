"""Life cycle of one Chilean sales note: draft → approved → issued → cancelled (id `nota-venta-<id>`).

The API drives it with updates (aprobar / emitir / anular) and gets the result synchronously. The database
is the system of record: each handler runs an idempotent activity that makes the transition under a row
lock and refuses it (409 with the current state) if the note is not in a state that allows it. The
validators reject early what can never become valid again: once the workflow has seen `issued` or
`cancelled`, no later PUT can bring the note back. A PUT on an approved note sends it back to draft and
tells the workflow through the `sincronizar` signal (outbox); `version` orders late signals.
"""

import asyncio
from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.notas_venta import nv_anular, nv_aprobar, nv_emitir
    from core.temporal import DOMAIN_ERROR, ESTADO, HEARTBEAT_TIMEOUT
    from models.notas_venta import TRANSICIONES
    from workflows.entradas import EstadoNota, Solicitud, TransicionNota

RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                    maximum_interval=timedelta(seconds=30), maximum_attempts=8,
                    non_retryable_error_types=[DOMAIN_ERROR])
TERMINAL_FACTS = ("issued", "cancelled")  # states only the workflow's own handlers produce
VERBS = {"approve": "aprobar", "issue": "emitir", "cancel": "anular"}


def rejection(nv_number: str, estado: str, accion: str) -> ApplicationError:
    message = f"La nota de venta {nv_number} está en estado '{estado}': no se puede {VERBS[accion]}"
    body = {"code": "conflict", "message": message, "errors": [{"field": "status", "message": message}],
            "estado_actual": estado}
    return ApplicationError(message, 409, body, type=DOMAIN_ERROR, non_retryable=True)


@workflow.defn(name="NotaVenta")
class NotaVentaWorkflow:
    # Started (and signalled with `sincronizar`) with {"nota_id", "nv_number", "estado", "version"} dicts before
    # EstadoNota existed: its fields carry those keys, so running notes replay into it unchanged.
    @workflow.init
    def __init__(self, state: EstadoNota) -> None:
        self.nota_id: int = state.nota_id
        self.nv_number: str = state.nv_number
        self.estado: str = state.estado
        self.version: int = state.version
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, state: EstadoNota) -> str:
        # Issued notes stay open: cancelling an issued note is part of the life cycle.
        await workflow.wait_condition(lambda: self.estado == "cancelled" and workflow.all_handlers_finished())
        return self.estado

    def _apply(self, state: EstadoNota) -> None:
        if state.version > self.version:
            self.estado, self.version = state.estado, state.version
            workflow.upsert_search_attributes([ESTADO.value_set(self.estado)])

    def _validate(self, accion: str) -> None:
        if self.estado in TERMINAL_FACTS and self.estado not in TRANSICIONES[accion]:
            raise rejection(self.nv_number, self.estado, accion)

    async def _transition(self, activity: Callable[[TransicionNota], EstadoNota],
                          solicitud: Solicitud) -> EstadoNota:
        async with self._lock:
            try:
                state = await workflow.execute_activity(
                    activity, TransicionNota(self.nota_id, solicitud), start_to_close_timeout=timedelta(seconds=60),
                    heartbeat_timeout=HEARTBEAT_TIMEOUT, retry_policy=RETRY)
            except ActivityError as exc:
                cause = exc.cause
                if isinstance(cause, ApplicationError) and cause.type == DOMAIN_ERROR:
                    raise ApplicationError(cause.message, *cause.details, type=DOMAIN_ERROR,
                                           non_retryable=True) from None
                raise
            self._apply(state)
            return state

    @workflow.update
    async def aprobar(self, solicitud: Solicitud) -> EstadoNota:
        return await self._transition(nv_aprobar, solicitud)

    @aprobar.validator
    def _validar_aprobar(self, _: Solicitud) -> None:
        self._validate("approve")

    @workflow.update
    async def emitir(self, solicitud: Solicitud) -> EstadoNota:
        return await self._transition(nv_emitir, solicitud)

    @emitir.validator
    def _validar_emitir(self, _: Solicitud) -> None:
        self._validate("issue")

    @workflow.update
    async def anular(self, solicitud: Solicitud) -> EstadoNota:
        return await self._transition(nv_anular, solicitud)

    @anular.validator
    def _validar_anular(self, _: Solicitud) -> None:
        self._validate("cancel")

    @workflow.signal
    def sincronizar(self, state: EstadoNota) -> None:
        """A change made outside the workflow (PUT on an approved note → draft); idempotent by version."""
        self._apply(state)

    @workflow.query
    def estado_actual(self) -> EstadoNota:
        return EstadoNota(self.nota_id, self.nv_number, self.estado, self.version)


WORKFLOWS = [NotaVentaWorkflow]
SCHEDULES: list = []
