"""Module 5 workflows: the approval of a purchase order (`oc-<id>`).

The database is the system of record; the workflow holds the human step. `decidir` is an Update: its
validator refuses (403) a user without `compras:aprobar`, below the OC's tier, or the OC's own creator
(segregation of duties), before anything is written; the handler records the decision through an idempotent
activity. While nobody decides, the approvers are reminded every `recordatorio_segundos`, and once the
escalation wait has passed the next tier is told too. A rejected OC waits for its resubmission (`reenviar`
signal, through the outbox) and continues as a new run of the same id; `anular` ends it."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.compras import (
        CREDENCIALES_RECHAZADAS,
        decidir_orden_compra,
        evaluar_proveedores,
        generar_propuestas_compra,
        niveles_aprobacion_compra,
        notificar_incidencias,
        recordar_aprobacion,
        validar_factura_sunat,
    )
    from core.schedules import ScheduleDef
    from core.temporal import ESTADO
    from workflows.entradas import (
        AnulacionOrdenCompra,
        AprobacionEntrada,
        DecisionOrdenCompra,
        IncidenciasRecepcion,
        NivelesAprobacion,
        RecordatorioAprobacion,
        ValidacionFactura,
    )
    from workflows.notas_venta import DOMAIN_ERROR

RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                    maximum_interval=timedelta(minutes=1), maximum_attempts=10,
                    non_retryable_error_types=[DOMAIN_ERROR])
PENDIENTE = "PENDIENTE_APROBACION"


def rechazo(status: int, message: str, field: str = "usuario") -> ApplicationError:
    code = {403: "forbidden", 409: "conflict"}[status]
    body = {"code": code, "message": message, "errors": [{"field": field, "message": message}]}
    return ApplicationError(message, status, body, type=DOMAIN_ERROR, non_retryable=True)


@workflow.defn(name="AprobacionOrdenCompra")
class AprobacionOrdenCompra:
    @workflow.init
    def __init__(self, entrada: AprobacionEntrada) -> None:
        self.entrada = entrada
        self.estado = PENDIENTE
        self.decidiendo = False
        self.reenvio: AprobacionEntrada | None = None
        self.anulada = False
        self.recordatorios = 0
        self.niveles: NivelesAprobacion | None = None

    @workflow.run
    async def run(self, entrada: AprobacionEntrada) -> str:
        if entrada.nivel == 0:  # a resubmission within the automatic tier was approved in its transaction
            self._estado("APROBADA")
            return self.estado
        self._estado(PENDIENTE)
        if workflow.patched("niveles-aprobacion-tabla"):
            self.niveles = await workflow.execute_activity(niveles_aprobacion_compra, start_to_close_timeout=timedelta(
                seconds=30), retry_policy=RETRY)
        escalar_en = workflow.now() + timedelta(seconds=entrada.escalamiento_segundos)
        escalado = False
        while self.estado == PENDIENTE and not self.anulada:
            try:
                await workflow.wait_condition(lambda: self.estado != PENDIENTE or self.anulada,
                                              timeout=timedelta(seconds=entrada.recordatorio_segundos))
            except TimeoutError:
                escalar = not escalado and workflow.now() >= escalar_en
                escalado = escalado or escalar
                self.recordatorios += 1
                await workflow.execute_activity(recordar_aprobacion,
                                                RecordatorioAprobacion(entrada.orden_id, entrada.nivel, escalar),
                                                start_to_close_timeout=timedelta(minutes=1), retry_policy=RETRY)
        if self.estado == "RECHAZADA" and not self.anulada:
            await workflow.wait_condition(lambda: self.reenvio is not None or self.anulada)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.reenvio is not None and not self.anulada:
            workflow.continue_as_new(self.reenvio)
        if self.anulada:
            self._estado("ANULADA")
        return self.estado

    def _estado(self, estado: str) -> None:
        self.estado = estado
        workflow.upsert_search_attributes([ESTADO.value_set(estado)])

    @workflow.update
    async def decidir(self, d: DecisionOrdenCompra) -> str:
        if self.decidiendo:
            raise rechazo(409, f"La OC {d.orden_id} ya tiene una decisión en curso", "estado")
        self.decidiendo = True
        try:
            estado = await workflow.execute_activity(decidir_orden_compra, d, start_to_close_timeout=timedelta(
                seconds=30), retry_policy=RETRY)
        except ActivityError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type == DOMAIN_ERROR:
                raise ApplicationError(cause.message, *cause.details, type=DOMAIN_ERROR, non_retryable=True) from None
            raise
        finally:
            self.decidiendo = False
        self._estado(estado)
        return estado

    @decidir.validator
    def _validar(self, d: DecisionOrdenCompra) -> None:
        entrada = self.entrada
        if self.estado != PENDIENTE or self.anulada:
            raise rechazo(409, f"La OC {d.orden_id} está {self.estado}: no se puede aprobar ni rechazar", "estado")
        if not d.puede_aprobar:
            raise rechazo(403, "Aprobar una orden de compra requiere el permiso compras:aprobar")
        if entrada.creador_id is not None and d.usuario_id == entrada.creador_id:
            raise rechazo(403, "Quien creó la orden de compra no puede aprobarla (segregación de funciones)")
        nivel_usuario = self._nivel_de(d)
        if nivel_usuario < entrada.nivel:
            raise rechazo(403, f"El importe de la OC requiere un aprobador de nivel {entrada.nivel}; "
                               f"su rol aprueba hasta el nivel {nivel_usuario}")

    def _nivel_de(self, d: DecisionOrdenCompra) -> int:
        """The decider's tier by the tiers this run read at its start (until then, as the API read them)."""
        if self.niveles is None or not d.rol:
            return d.nivel_usuario
        return self.niveles.de_rol(d.rol)

    @workflow.signal
    def reenviar(self, entrada: AprobacionEntrada) -> None:
        # Outbox redelivery may repeat it: the latest submission wins, an older one is ignored.
        ultimo = max(self.entrada.envio, self.reenvio.envio if self.reenvio else 0)
        if entrada.envio > ultimo:
            self.reenvio = entrada

    @workflow.signal
    def anular(self, _: AnulacionOrdenCompra) -> None:
        self.anulada = True

    @workflow.query
    def niveles_aprobacion(self) -> NivelesAprobacion | None:
        """The tiers this run holds its approvers to (read when it started)."""
        return self.niveles

    @workflow.query
    def estado_actual(self) -> str:
        return self.estado

    @workflow.query
    def recordatorios_enviados(self) -> int:
        return self.recordatorios


@workflow.defn(name="NotificarIncidencias")
class NotificarIncidencias:
    """A reception's incidents e-mailed to the supplier (SMTP down: retried for a day, nothing lost)."""

    @workflow.run
    async def run(self, entrada: IncidenciasRecepcion) -> int:
        return await workflow.execute_activity(
            notificar_incidencias, entrada, start_to_close_timeout=timedelta(minutes=1),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
                                     maximum_interval=timedelta(minutes=10)),
            schedule_to_close_timeout=timedelta(days=1))


@workflow.defn(name="ValidarFacturaProveedor")
class ValidarFacturaProveedor:
    """A registered supplier invoice checked with SUNAT's consulta integrada (`factura-proveedor-<id>`): while
    SUNAT is down or rate-limits, the activity is retried (for up to a week); nothing is lost. Rejected
    credentials are not retried: the invoice stays PENDIENTE until someone fixes them and asks again."""

    @workflow.run
    async def run(self, entrada: ValidacionFactura) -> str:
        paso = timedelta(seconds=entrada.reintento_segundos)
        estado = await workflow.execute_activity(
            validar_factura_sunat, entrada, start_to_close_timeout=timedelta(seconds=60),
            schedule_to_close_timeout=timedelta(days=7),
            retry_policy=RetryPolicy(initial_interval=paso, backoff_coefficient=2.0, maximum_interval=paso * 20,
                                     non_retryable_error_types=[CREDENCIALES_RECHAZADAS, DOMAIN_ERROR]))
        workflow.upsert_search_attributes([ESTADO.value_set(estado)])
        return estado


@workflow.defn(name="PropuestasCompra")
class PropuestasCompra:
    """Daily 07:00: OC proposals for what is at or under its minimum (idempotent per day)."""

    @workflow.run
    async def run(self) -> int:
        creadas = await workflow.execute_activity(generar_propuestas_compra, start_to_close_timeout=timedelta(
            minutes=10), retry_policy=RETRY)
        return len(creadas)


@workflow.defn(name="EvaluacionProveedores")
class EvaluacionProveedores:
    """Quarterly: the previous quarter's supplier scores and a review task for those under the threshold."""

    @workflow.run
    async def run(self) -> int:
        evaluados = await workflow.execute_activity(evaluar_proveedores, start_to_close_timeout=timedelta(
            minutes=10), retry_policy=RETRY)
        return len(evaluados)


WORKFLOWS = [AprobacionOrdenCompra, NotificarIncidencias, ValidarFacturaProveedor, PropuestasCompra,
             EvaluacionProveedores]
SCHEDULES = [
    ScheduleDef("propuestas-compra", "PropuestasCompra", "0 7 * * *",
                "OC propuestas por bajo stock: hasta el stock máximo, una por proveedor y almacén (07:00 Lima)"),
    ScheduleDef("evaluacion-proveedores", "EvaluacionProveedores", "0 6 1 1,4,7,10 *",
                "Evaluación trimestral de proveedores: puntualidad, calidad, precio (06:00 Lima, día 1)"),
]
