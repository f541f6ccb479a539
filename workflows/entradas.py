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


# --- module 4 (distribución) -------------------------------------------------------------------------


@dataclass(frozen=True)
class EntregaPedidoEntrada:
    """EntregaPedido (`pedido-<id>`): geocode first when the order came without coordinates."""

    pedido_id: int
    geocodificar: bool = False


@dataclass(frozen=True)
class EstadoPedido:
    """EntregaPedido's `registrar_estado` update: the state the database now holds, numbered by the order's
    event id (the validator rejects a redelivered or late one, which carries an older number). `eta`: the
    stop's ETA, ISO 8601 UTC or ""; `transportista`: the carrier's plate once planned."""

    estado: str
    evento_id: int
    eta: str = ""
    transportista: str = ""


@dataclass(frozen=True)
class PedidoRef:
    """The activities of EntregaPedido: the order they act on."""

    pedido_id: int
