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


# --- module 7 (WhatsApp) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MensajeWaEntrada:
    """EnviarMensajeWhatsApp (`mensaje-wa-<id>`)."""

    mensaje_id: int


@dataclass(frozen=True)
class WebhookWaEntrada:
    """ProcesarWebhookWhatsApp (`webhook-wa-<log id>`) and its activity."""

    log_id: int


@dataclass(frozen=True)
class LoteWa:
    """enviar_mensajes_wa activity: messages sent in order, never faster than `por_segundo`."""

    mensaje_ids: list[int]
    por_segundo: float


@dataclass(frozen=True)
class ResultadoLoteWa:
    aceptados: int = 0
    fallidos: int = 0
    omitidos: int = 0
    token_invalido: bool = False


@dataclass(frozen=True)
class FalloMensajeWa:
    """registrar_fallo_wa activity: a message whose retries ran out."""

    mensaje_id: int
    detalle: str


@dataclass(frozen=True)
class CampanaEntrada:
    """CampanaWhatsApp (`campana-<id>`); `preparada` and the counters carry over a continue-as-new."""

    campana_id: int
    preparada: bool = False
    estado: str = "EN_CURSO"
    enviados: int = 0
    fallidos: int = 0
    por_segundo: float = 20.0  # WHATSAPP_MENSAJES_POR_SEGUNDO when the campaign was started


@dataclass(frozen=True)
class PedidoLoteWa:
    """tomar_lote_campana activity: up to `maximo` pending recipients, within the account's tier."""

    campana_id: int
    maximo: int


@dataclass(frozen=True)
class LoteCampanaWa:
    mensaje_ids: list[int]
    espera_s: float  # > 0 with no ids: the tier's rolling 24 h is full until then


@dataclass(frozen=True)
class EstadoCampanaWa:
    """registrar_estado_campana activity."""

    campana_id: int
    estado: str
    detalle: str = ""
