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


@dataclass(frozen=True)
class ImportacionExtractoEntrada:
    """ImportarExtracto workflow and its procesar_extracto activity: the stored statement to parse."""

    importacion_id: int
