"""Module 7 (WhatsApp Cloud API): accounts, templates, consent, messages, campaigns and the raw webhook log."""

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, UniqueConstraint, text
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
    fecha_programada: datetime | None = timestamp()
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
