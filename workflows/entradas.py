"""The inputs of workflows, signals and activities: one dataclass each (as in the Temporal Python samples).

A leaf module (dataclasses only), so services can build a payload for the outbox without importing a
workflow. The outbox stores a payload as JSON (`core.outbox` turns the dataclass into a dict, in one place)
and Temporal's data converter turns it back into the dataclass the workflow's run method or signal handler
declares."""

from dataclasses import dataclass, field


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


# --- facturación (workflows/facturacion.py, activities/facturacion.py) ----------------------------------------
# Replay compatibility: these workflows and signals took dicts before. Temporal's converter rebuilds a dataclass
# from the JSON object by field name (unknown keys ignored), so a workflow started, or a signal sent, with the
# old dict replays into these types unchanged: KEEP EACH FIELD NAME EQUAL TO THE OLD DICT KEY (`id`, not
# `registro_id`). tests/test_entradas_temporal.py replays histories recorded with the dict payloads.


@dataclass(frozen=True)
class Emision:
    """EmitirComprobante (`comprobante-<tipo>-<serie>-<numero>`); was {"comprobante_id": ...}. Also the input of
    the activities that act on one comprobante (preparar, generar PDF, notificar)."""

    comprobante_id: int


@dataclass(frozen=True)
class Reintento:
    """The `reintentar` signal of EmitirComprobante / EnviarResumen: only wakes a waiting workflow. Sent as
    {"solicitud": <request id>} by a reenvío or correction, {"por": <attempt>} by the previous queued
    document of the series."""

    solicitud: str | None = None
    por: int | None = None


@dataclass(frozen=True)
class DecisionResumen:
    """EmitirComprobante's `decidido_en_resumen` signal: SUNAT's decision on the resumen informing a boleta."""

    estado: str


@dataclass(frozen=True)
class EnvioSunat:
    """enviar_a_sunat activity: one attempt (numbered from 1) to inform the comprobante."""

    comprobante_id: int
    intento: int


@dataclass(frozen=True)
class ErrorComprobante:
    """registrar_error_comprobante activity: why a step failed on the document's data."""

    comprobante_id: int
    motivo: str


@dataclass(frozen=True)
class Resumen:
    """EnviarResumen (`resumen-<RC-…>` / `baja-<RA-…>`); was {"tipo": "RC"|"RA", "id": ...}. Also the input of
    enviar_resumen and consultar_resumen."""

    tipo: str
    id: int


@dataclass(frozen=True)
class ErrorResumen:
    """registrar_error_resumen activity."""

    tipo: str
    id: int
    motivo: str


@dataclass(frozen=True)
class ResumenesDiarios:
    """ResumenDiarioBoletas (schedule) and its preparar_resumenes_diarios activity: boletas not yet informed
    up to `fecha` (ISO date; None: today in Lima). Scheduled runs start with no argument (the default)."""

    fecha: str | None = None


@dataclass(frozen=True)
class Barrido:
    """ReintentarComprobantesPendientes (schedule) and its comprobantes_sin_decision activity: undecided
    documents older than `antiguedad_min` minutes."""

    antiguedad_min: int = 10


# --- notas de venta (workflows/notas_venta.py, activities/notas_venta.py) -----------------------------------------


@dataclass(frozen=True)
class EstadoNota:
    """NotaVenta (`nota-venta-<id>`) input and its `sincronizar` signal: the state the database holds; also
    what each transition activity answers. Was {"nota_id", "nv_number", "estado", "version"}: same names."""

    nota_id: int
    nv_number: str
    estado: str
    version: int


@dataclass(frozen=True)
class Solicitud:
    """One user request to a NotaVenta update: who (from the JWT), from where, and its id (the update id) for
    idempotency."""

    request_id: str
    usuario_id: int
    nombre: str
    email: str
    ip: str | None = None
    user_agent: str | None = None
    motivo: str | None = None


@dataclass(frozen=True)
class TransicionNota:
    """nv_aprobar / nv_emitir / nv_anular activities: the note and the request."""

    nota_id: int
    solicitud: Solicitud


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
    nivel_usuario: int  # from the tiers as they are now (used until the run has read its own snapshot)
    ip: str | None = None
    rol: str = ""


@dataclass(frozen=True)
class NivelAprobacion:
    """One approval tier (niveles_aprobacion_compra): above `monto_minimo` (PEN, as text: exact) an OC needs an
    approver whose role is in `roles` of this tier or a higher one."""

    nivel: int
    monto_minimo: str
    roles: list[str]


@dataclass(frozen=True)
class NivelesAprobacion:
    """The niveles_aprobacion_compra activity's answer: the tiers an approval run holds its approvers to."""

    niveles: list[NivelAprobacion]

    def de_rol(self, rol: str) -> int:
        """The highest tier a role approves (0: none)."""
        return max((n.nivel for n in self.niveles if rol in n.roles), default=0)


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


@dataclass(frozen=True)
class GuiaRef:
    """The GRE activities of EntregaPedido (send, poll the ticket): the guía de remisión they act on."""

    guia_id: int

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
    fecha_programada: str | None = None  # ISO, UTC: wait on a durable timer until then (estado PROGRAMADA)


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
    fecha_programada: str | None = None  # ISO: a rescheduled start is recorded with it


@dataclass(frozen=True)
class AvisoClienteEntrada:
    """NotificarCliente (`aviso-<id>`) and its activities: the notice, and its WhatsApp message if it has one."""

    notificacion_id: int
    wa_mensaje_id: int | None = None


@dataclass(frozen=True)
class RecordatoriosCobranzaEntrada:
    """RecordatoriosCobranza (daily schedule): overdue receivables as of `fecha` (ISO; default today in Lima)."""

    fecha: str | None = None


@dataclass(frozen=True)
class ReprogramacionCampanaWa:
    """CampanaWhatsApp's `reprogramar` update: the new start (ISO, aware), not in the past."""

    fecha_programada: str


# --- conciliación bancaria (workflows/conciliacion.py, activities/conciliacion.py) --------------------------


@dataclass(frozen=True)
class ImportacionExtractoEntrada:
    """ImportarExtracto workflow and its procesar_extracto activity: the stored statement to parse."""

    importacion_id: int


# --- module 8: exports and scheduled reports ----------------------------------------------------------------


@dataclass(frozen=True)
class ExportacionEntrada:
    """ExportarReporte (`exportacion-<id>`) and its activity: the exportaciones_log row to generate."""

    exportacion_id: int


@dataclass(frozen=True)
class FalloExportacion:
    exportacion_id: int
    error: str


@dataclass(frozen=True)
class ProgramacionRef:
    """A programación: the input of its synchronisation with Temporal and of each scheduled run."""

    programacion_id: int


@dataclass(frozen=True)
class EjecucionProgramada:
    """One scheduled run (`ejecucion` = its workflow id, the key that makes a retried send idempotent)."""

    programacion_id: int
    ejecucion: str


# --- dashboard (workflows/dashboard.py, activities/dashboard.py) --------------------------------------------


@dataclass(frozen=True)
class RefrescoKpis:
    """RefrescarSnapshotsKpi workflow and its refrescar_snapshots_kpi activity: the KPI groups to recompute
    (empty: all of them)."""

    grupos: list[str] = field(default_factory=list)
