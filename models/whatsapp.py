"""Module 7 (WhatsApp Cloud API): accounts, templates, consent, messages, campaigns and the raw webhook log."""

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from core.crypto import EncryptedString
from models.base import created_at, timestamp

# Meta's messaging limit tiers (`messaging_limit_tier`): unique business-initiated recipients per rolling 24 h.
TIERS: dict[str, int | None] = {
    "TIER_250": 250, "TIER_2K": 2_000, "TIER_10K": 10_000, "TIER_100K": 100_000, "TIER_UNLIMITED": None,
}
# A message's states; a status webhook only moves it forward (FALLIDO is not reached from ENTREGADO/LEIDO).
ESTADOS_MENSAJE = ("PENDIENTE", "ENVIANDO", "ENVIADO_A_META", "ENVIADO", "ENTREGADO", "LEIDO", "FALLIDO")


class WaCuenta(SQLModel, table=True):
    """A WhatsApp Business phone number (phone_number_id) of a WhatsApp Business Account (WABA)."""

    __tablename__ = "wa_cuentas"
    __audit_module__: ClassVar[str] = "whatsapp"
    __audit_exclude__: ClassVar[set[str]] = {"token", "app_secret"}
    __table_args__ = (
        Index("ux_wa_cuentas_predeterminada", "predeterminada", unique=True, postgresql_where=text("predeterminada")),
        CheckConstraint("estado IN ('ACTIVA', 'TOKEN_INVALIDO', 'INACTIVA')", name="ck_wa_cuentas_estado"),
    )

    id: int | None = Field(default=None, primary_key=True)
    phone_number_id: str = Field(max_length=30, unique=True)
    business_account_id: str = Field(max_length=30)
    nombre_display: str = Field(max_length=100)
    token: str = Field(sa_column=Column(EncryptedString, nullable=False))
    app_secret: str = Field(sa_column=Column(EncryptedString, nullable=False))
    tier: str = Field(default="TIER_250", max_length=20)
    estado: str = Field(default="ACTIVA", max_length=20)
    estado_detalle: str = Field(default="", max_length=500)  # why the token was marked invalid (Meta's code)
    predeterminada: bool = False
    created_at: datetime = created_at()


class WaPlantilla(SQLModel, table=True):
    """A message template submitted to Meta; `estado_meta` follows Meta's review (message_template_status_update)."""

    __tablename__ = "wa_plantillas"
    __audit_module__: ClassVar[str] = "whatsapp"
    __table_args__ = (UniqueConstraint("wa_cuenta_id", "nombre", "idioma", name="ux_wa_plantillas_nombre"),)

    id: int | None = Field(default=None, primary_key=True)
    wa_cuenta_id: int = Field(foreign_key="wa_cuentas.id")
    nombre: str = Field(max_length=512)
    idioma: str = Field(max_length=15)
    categoria: str = Field(max_length=20)  # MARKETING | UTILITY | AUTHENTICATION
    texto: str = Field(max_length=1024)  # the BODY component's text, with {{1}}..{{n}}
    variables_count: int = 0
    # HEADER format: None (no header), TEXT, or a media one (IMAGE, VIDEO, DOCUMENT) whose send carries the file
    encabezado_formato: str | None = Field(default=None, max_length=10)
    componentes: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)  # as submitted to Meta
    estado_meta: str = Field(default="PENDING", max_length=20)  # PENDING APPROVED REJECTED PAUSED DISABLED ...
    motivo_rechazo: str = Field(default="", max_length=500)
    meta_template_id: str | None = Field(default=None, max_length=40, index=True)
    created_at: datetime = created_at()


class WaContacto(SQLModel, table=True):
    """A client's WhatsApp number and consent (opt-in with when, how and the evidence; opt-out)."""

    __tablename__ = "wa_contactos"
    __audit_module__: ClassVar[str] = "whatsapp"

    id: int | None = Field(default=None, primary_key=True)
    cliente_id: int = Field(foreign_key="clientes.id", unique=True)
    wa_id: str = Field(max_length=20, index=True)  # E.164 digits without '+', as Meta's `wa_id`
    opt_in: bool = False
    opt_in_fecha: datetime | None = timestamp()
    opt_in_medio: str = Field(default="", max_length=30)  # FORMULARIO_WEB | TIENDA | WHATSAPP | LLAMADA ...
    opt_in_evidencia: str = Field(default="", max_length=1000)  # the text the client accepted
    opt_in_fuente: str = Field(default="", max_length=200)  # where: URL, store, agent
    opt_out_fecha: datetime | None = timestamp()
    opt_out_motivo: str = Field(default="", max_length=200)
    ultima_interaccion_cliente: datetime | None = timestamp()  # last inbound message: opens the 24 h window


class WaCampana(SQLModel, table=True):
    """A bulk send of one approved template to a segment; run by the CampanaWhatsApp workflow (`campana-<id>`)."""

    __tablename__ = "wa_campanas"
    __audit_module__: ClassVar[str] = "whatsapp"

    id: int | None = Field(default=None, primary_key=True)
    nombre: str = Field(max_length=200)
    plantilla_id: int = Field(foreign_key="wa_plantillas.id")
    # {"categoria": .., "tags": [..], "compro_desde": "2026-01-01", "parametros": ["razon_social", ...]}
    segmento_clientes: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    parametros: list[str] = Field(default_factory=list, sa_type=JSONB)  # client fields for {{1}}..{{n}}
    estado: str = Field(default="BORRADOR", max_length=20)  # BORRADOR EN_CURSO PAUSADA ESPERANDO_CUPO ...
    fecha_programada: datetime | None = timestamp()  # ejecutar before it: PROGRAMADA, the workflow's timer
    # the media header parameter every recipient gets ({"type": "image", "image": {"link": ...}})
    encabezado: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    total_destinatarios: int = 0
    created_at: datetime = created_at()


class WaMensaje(SQLModel, table=True):
    """One outgoing message. ENVIADO_A_META = Meta accepted it (wamid stored); statuses move it forward."""

    __tablename__ = "wa_mensajes"
    __table_args__ = (
        # A campaign sends each client at most once, whatever restarts or retries happen.
        UniqueConstraint("campana_id", "cliente_id", name="ux_wa_mensajes_campana_cliente"),
        Index("ix_wa_mensajes_campana_estado", "campana_id", "estado"),
        Index("ix_wa_mensajes_cuenta_aceptado", "wa_cuenta_id", "aceptado_at"),
        Index("ix_wa_mensajes_created", "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    wa_cuenta_id: int = Field(foreign_key="wa_cuentas.id")
    plantilla_id: int | None = Field(default=None, foreign_key="wa_plantillas.id")
    campana_id: int | None = Field(default=None, foreign_key="wa_campanas.id")
    cliente_id: int | None = Field(default=None, foreign_key="clientes.id", index=True)
    numero_destino: str = Field(max_length=20)
    tipo: str = Field(max_length=10)  # template | text
    texto: str = Field(default="", max_length=4096)  # free text body
    parametros_json: list[str] = Field(default_factory=list, sa_type=JSONB)
    encabezado: dict[str, Any] | None = Field(default=None, sa_type=JSONB)  # a media header's parameter
    meta_message_id: str | None = Field(default=None, max_length=200, unique=True)  # the wamid
    estado: str = Field(default="PENDIENTE", max_length=20)
    intentos: int = 0
    aceptado_at: datetime | None = timestamp()  # when Meta answered 200 (counts towards the tier)
    fecha_envio: datetime | None = timestamp()  # Meta's `sent` timestamp
    fecha_entrega: datetime | None = timestamp()
    fecha_lectura: datetime | None = timestamp()
    error_codigo: int | None = None
    error_mensaje: str = Field(default="", max_length=1000)
    created_at: datetime = created_at()


class WaEstadoPendiente(SQLModel, table=True):
    """A status webhook for a wamid not stored yet (the webhook beat the send's response): applied later."""

    __tablename__ = "wa_estados_pendientes"

    id: int | None = Field(default=None, primary_key=True)
    meta_message_id: str = Field(max_length=200, index=True)
    status: dict[str, Any] = Field(sa_type=JSONB)
    created_at: datetime = created_at()


class WaMensajeEntrante(SQLModel, table=True):
    """An inbound message (webhook `messages[]`); it sets the client's last interaction."""

    __tablename__ = "wa_mensajes_entrantes"

    id: int | None = Field(default=None, primary_key=True)
    meta_message_id: str = Field(max_length=200, unique=True)
    wa_id: str = Field(max_length=20, index=True)
    cliente_id: int | None = Field(default=None, foreign_key="clientes.id")
    tipo: str = Field(max_length=20)
    texto: str = Field(default="", max_length=4096)
    fecha: datetime = timestamp(nullable=False)
    created_at: datetime = created_at()


class WaLogWebhook(SQLModel, table=True):
    """Every webhook body Meta sent, stored raw before it is processed (audit, replays)."""

    __tablename__ = "wa_logs_webhook"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    payload_raw: str
    tipo_evento: str = Field(default="", max_length=60)
    procesado: bool = False
    error: str = Field(default="", max_length=1000)
    created_at: datetime = created_at()


# --- customer notifications from other modules (services.notificaciones_cliente) ---------------------------

class WaEvento(SQLModel, table=True):
    """Which approved template carries a business event to a customer, and where each {{n}} comes from."""

    __tablename__ = "wa_eventos"
    __audit_module__: ClassVar[str] = "whatsapp"

    id: int | None = Field(default=None, primary_key=True)
    evento: str = Field(max_length=30, unique=True)  # COMPROBANTE_EMITIDO | PEDIDO_EN_RUTA | CXC_VENCIDA
    plantilla_id: int = Field(foreign_key="wa_plantillas.id")
    parametros: list[str] = Field(default_factory=list, sa_type=JSONB)  # the event's variable for each {{n}}
    encabezado: str | None = Field(default=None, max_length=30)  # the event's URL variable for a media header
    activo: bool = True
    created_at: datetime = created_at()


class NotificacionCliente(SQLModel, table=True):
    """One notice to a customer: the channel decided when it was asked for (WHATSAPP, EMAIL or NINGUNO, and
    why), its state, and the e-mail kept (encrypted: it may carry a delivery code) for the fallback."""

    __tablename__ = "notificaciones_cliente"
    __table_args__ = (
        CheckConstraint("canal IN ('WHATSAPP', 'EMAIL', 'NINGUNO')", name="ck_notificaciones_cliente_canal"),
        Index("ix_notificaciones_cliente_objeto", "objeto_tipo", "objeto_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    evento: str = Field(max_length=30)
    cliente_id: int | None = Field(default=None, foreign_key="clientes.id", index=True)
    objeto_tipo: str = Field(default="", max_length=50)
    objeto_id: str = Field(default="", max_length=50)
    dedupe_key: str | None = Field(default=None, max_length=120, unique=True)  # one notice per business fact
    canal: str = Field(max_length=10)
    motivo: str = Field(default="", max_length=300)  # why this channel (no opt-in, no approved template...)
    estado: str = Field(default="PENDIENTE", max_length=10)  # PENDIENTE ENVIADA FALLIDA OMITIDA
    canal_final: str | None = Field(default=None, max_length=10)  # the channel that carried it
    wa_mensaje_id: int | None = Field(default=None, sa_column=Column(BigInteger, ForeignKey("wa_mensajes.id"),
                                                                     nullable=True))
    correo: str = Field(default="", sa_column=Column(EncryptedString, nullable=False))  # JSON, "" without e-mail
    enviada_at: datetime | None = timestamp()
    created_at: datetime = created_at()


class IntentoNotificacion(SQLModel, table=True):
    """One attempt of a notice on one channel (WhatsApp first, then the e-mail fallback): at most one each."""

    __tablename__ = "notificaciones_cliente_intentos"
    __table_args__ = (UniqueConstraint("notificacion_id", "canal", name="ux_notificaciones_intentos_canal"),)

    id: int | None = Field(default=None, primary_key=True)
    notificacion_id: int = Field(sa_column=Column(BigInteger, ForeignKey("notificaciones_cliente.id"), nullable=False))
    canal: str = Field(max_length=10)
    resultado: str = Field(max_length=10)  # ENVIADO | FALLIDO
    detalle: str = Field(default="", max_length=1000)
    created_at: datetime = created_at()
