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


# --- module 6 (finanzas) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CargaTipoCambio:
    """cargar_tipo_cambio_sunat activity: the day whose rate to load (ISO date; empty: today in Lima)."""

    fecha: str = ""


@dataclass(frozen=True)
class TipoCambioCargado:
    """What the daily load stored: the rate that holds on `fecha`, published on `publicado` (a weekend or holiday
    carries the last business day's)."""

    fecha: str
    publicado: str
    compra: str
    venta: str
