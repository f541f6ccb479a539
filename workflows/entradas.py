"""The inputs of workflows, signals and activities: one dataclass each (as in the Temporal Python samples).

A leaf module (dataclasses only), so services can build a payload for the outbox without importing a
workflow. The outbox stores a payload as JSON (`core.outbox` turns the dataclass into a dict, in one place)
and Temporal's data converter turns it back into the dataclass the workflow's run method or signal handler
declares."""

from dataclasses import dataclass


@dataclass(frozen=True)
class TransferenciaEntrada:
    """TransferenciaStock (`transferencia-<id>`)."""

    transferencia_id: int


@dataclass(frozen=True)
class EstadoTransferencia:
    """TransferenciaStock's `actualizar` signal: the state the database now holds."""

    estado: str


@dataclass(frozen=True)
class RecordatorioTransferencia:
    """recordar_transferencia activity."""

    transferencia_id: int


@dataclass(frozen=True)
class EnvioAlertas:
    """enviar_alertas_inventario activity: the notifications to mail."""

    notificaciones: list[int]


# --- module 5 (compras) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AprobacionEntrada:
    """AprobacionOrdenCompra (`oc-<id>`), one run per submission; also its `reenviar` signal (a resubmission
    after a rejection continues as a new run with it). `nivel` 0: approved on submission."""

    orden_id: int
    envio: int
    nivel: int
    creador_id: int | None
    recordatorio_segundos: int
    escalamiento_segundos: int


@dataclass(frozen=True)
class DecisionOrdenCompra:
    """AprobacionOrdenCompra's `decidir` update and the decidir_orden_compra activity. The API states who
    decides (their permission and tier, read from the database); the validator holds the rules."""

    orden_id: int
    usuario_id: int
    decision: str  # APROBAR | RECHAZAR
    comentario: str
    puede_aprobar: bool
    nivel_usuario: int
    ip: str | None = None


@dataclass(frozen=True)
class RecordatorioAprobacion:
    """recordar_aprobacion activity: remind the approvers of `nivel` (escalated: also the next tier)."""

    orden_id: int
    nivel: int
    escalado: bool


@dataclass(frozen=True)
class AnulacionOrdenCompra:
    """AprobacionOrdenCompra's `anular` signal: the OC was cancelled while waiting."""

    orden_id: int


@dataclass(frozen=True)
class IncidenciasRecepcion:
    """NotificarIncidencias (`incidencias-recepcion-<id>`) and its activity: a reception's incidents to mail."""

    recepcion_id: int


@dataclass(frozen=True)
class ValidacionFactura:
    """ValidarFacturaProveedor (`factura-proveedor-<id>`) and its activity; `reintento_segundos` paces the
    retries while SUNAT is down (from settings, fixed for the run)."""

    factura_id: int
    reintento_segundos: float
