"""Module 7 (WhatsApp): accounts, templates, consent, the rules before a message reaches Meta, and sending.

A message is validated and stored PENDIENTE in the request's transaction, and an outbox row starts its
workflow; the activity calls Meta (integrations.whatsapp.client) through `despachar`, which records what
Meta answered. Statuses and inbound messages arrive by webhook (services.whatsapp_webhook)."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import httpx
import phonenumbers
from pydantic import Field, model_validator
from sqlalchemy import text
from sqlmodel import Session, col, select

from core import outbox
from core.db import paginar, session_scope
from core.errors import Conflict, NotFound, Unavailable, ValidationError
from core.schemas import Entrada, Fecha, Id, Paginacion
from integrations.whatsapp import client as meta
from models.base import utcnow
from models.ventas import Cliente
from models.whatsapp import TIERS, WaContacto, WaCuenta, WaMensaje, WaPlantilla
from workflows.entradas import MensajeWaEntrada

VENTANA = timedelta(hours=24)  # Meta's customer-service window
VARIABLE = re.compile(r"\{\{(\d+)\}\}")
FORMATOS_MEDIA = ("IMAGE", "VIDEO", "DOCUMENT")
Texto = Annotated[str, Field(max_length=1024)]


# --- phone numbers --------------------------------------------------------------------------------------

def normalizar_telefono(valor: str, campo: str = "telefono", region: str = "PE") -> str:
    """What a user typed ("987 654 321", "+51 987-654-321", "0051987654321") → E.164 digits ("51987654321")
    as Meta's `to`/`wa_id`; a number that cannot be a phone number is a 400 naming the field."""
    limpio = valor.strip()
    if limpio.startswith("00"):
        limpio = "+" + limpio[2:]
    try:
        numero = phonenumbers.parse(limpio, region)
    except phonenumbers.NumberParseException:
        numero = None
    if numero is None or not phonenumbers.is_valid_number(numero):
        raise ValidationError(f"{valor!r} no es un número de teléfono válido (E.164, p. ej. +51 987 654 321)",
                              field=campo)
    return phonenumbers.format_number(numero, phonenumbers.PhoneNumberFormat.E164).lstrip("+")


# --- accounts ---------------------------------------------------------------------------------------------

class CuentaIn(Entrada):
    phone_number_id: str = Field(pattern=r"^\d{5,30}$", description="Meta's phone number id (not the number)")
    business_account_id: str = Field(pattern=r"^\d{5,30}$", description="the WhatsApp Business Account (WABA) id")
    token: str = Field(min_length=8, max_length=1000, description="system-user access token (stored encrypted)")
    app_secret: str = Field(min_length=8, max_length=200, description="app secret: webhook signatures (encrypted)")
    nombre_display: str = Field(min_length=1, max_length=100)
    tier: Literal["TIER_250", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED"] = "TIER_250"
    predeterminada: bool = True


def crear_cuenta(session: Session, datos: CuentaIn) -> WaCuenta:
    if datos.predeterminada:
        session.execute(text("UPDATE wa_cuentas SET predeterminada = false WHERE predeterminada"))
    cuenta = WaCuenta(**datos.model_dump())
    session.add(cuenta)
    session.commit()
    session.refresh(cuenta)
    return cuenta


def listar_cuentas(session: Session, pagina: Paginacion) -> tuple[list, int]:
    return paginar(session, select(WaCuenta).order_by(WaCuenta.id), pagina.limit, pagina.offset)


def cuenta(session: Session, cuenta_id: int | None = None) -> WaCuenta:
    """The account asked for, or the default one."""
    if cuenta_id is not None:
        hallada = session.get(WaCuenta, cuenta_id)
    else:
        hallada = session.exec(select(WaCuenta).where(WaCuenta.predeterminada)).first()
    if hallada is None:
        raise NotFound("No hay una cuenta de WhatsApp configurada" if cuenta_id is None else
                       f"Cuenta de WhatsApp {cuenta_id} no encontrada")
    return hallada


def limite_tier(tier: str) -> int | None:
    return TIERS[tier]


# --- templates ----------------------------------------------------------------------------------------

class BotonIn(Entrada):
    type: Literal["QUICK_REPLY", "URL", "PHONE_NUMBER"]
    text: str = Field(min_length=1, max_length=25)
    url: str | None = Field(default=None, max_length=2000)
    phone_number: str | None = Field(default=None, max_length=20)


class PlantillaIn(Entrada):
    nombre: str = Field(pattern=r"^[a-z0-9_]{1,512}$", description="Meta's rule: lowercase, digits, underscores")
    idioma: str = Field(default="es_PE", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$", examples=["es_PE"])
    categoria: Literal["MARKETING", "UTILITY", "AUTHENTICATION"]
    texto: str = Field(min_length=1, max_length=1024, description="BODY text with {{1}}..{{n}}")
    ejemplos: list[Texto] = Field(default_factory=list, max_length=50, description="a sample value per variable")
    encabezado: str | None = Field(default=None, max_length=60, description="optional TEXT header")
    encabezado_formato: Literal["TEXT", "IMAGE", "VIDEO", "DOCUMENT"] | None = Field(
        default=None, description="HEADER format; a media one (IMAGE, VIDEO, DOCUMENT) takes the file on each send")
    encabezado_ejemplo: str | None = Field(
        default=None, max_length=500, examples=["4::YXBwbGljYXRpb24vcGRm:ARZ..."],
        description="a media header's sample: the handle Meta's Resumable Upload API gave for a sample file")
    pie: str | None = Field(default=None, max_length=60, description="optional footer")
    botones: list[BotonIn] = Field(default_factory=list, max_length=10)
    wa_cuenta_id: Id | None = None

    @model_validator(mode="after")
    def _variables(self) -> "PlantillaIn":
        numeros = sorted({int(n) for n in VARIABLE.findall(self.texto)})
        if numeros != list(range(1, len(numeros) + 1)):
            raise ValueError("texto: las variables deben ser {{1}}..{{n}} sin saltos")
        if len(self.ejemplos) != len(numeros):
            raise ValueError(f"ejemplos: Meta exige un ejemplo por variable ({len(numeros)})")
        if self.encabezado and self.encabezado_formato is None:
            self.encabezado_formato = "TEXT"
        if self.encabezado_formato == "TEXT" and not self.encabezado:
            raise ValueError("encabezado: un encabezado TEXT necesita su texto")
        if self.encabezado_formato in FORMATOS_MEDIA and (self.encabezado or not self.encabezado_ejemplo):
            raise ValueError("encabezado_ejemplo: un encabezado IMAGE/VIDEO/DOCUMENT lleva el handle de un archivo "
                             "de ejemplo (Resumable Upload API de Meta), no texto")
        return self


def componentes(datos: PlantillaIn) -> list[dict[str, Any]]:
    """The template's components as Meta's message_templates endpoint takes them."""
    body: dict[str, Any] = {"type": "BODY", "text": datos.texto}
    if datos.ejemplos:
        body["example"] = {"body_text": [datos.ejemplos]}
    partes: list[dict[str, Any]] = []
    if datos.encabezado_formato == "TEXT":
        partes.append({"type": "HEADER", "format": "TEXT", "text": datos.encabezado})
    elif datos.encabezado_formato:
        partes.append({"type": "HEADER", "format": datos.encabezado_formato,
                       "example": {"header_handle": [datos.encabezado_ejemplo]}})
    partes.append(body)
    if datos.pie:
        partes.append({"type": "FOOTER", "text": datos.pie})
    if datos.botones:
        partes.append({"type": "BUTTONS", "buttons": [b.model_dump(exclude_none=True) for b in datos.botones]})
    return partes


def crear_plantilla(session: Session, datos: PlantillaIn) -> WaPlantilla:
    """Submit to Meta first (its answer gives meta_template_id; a refusal is a 400 with Meta's details),
    then store it PENDING: Meta's decision arrives by webhook."""
    c = cuenta(session, datos.wa_cuenta_id)
    existe = session.exec(select(WaPlantilla).where(WaPlantilla.wa_cuenta_id == c.id,
                                                    WaPlantilla.nombre == datos.nombre,
                                                    WaPlantilla.idioma == datos.idioma)).first()
    if existe:
        raise Conflict(f"La plantilla {datos.nombre} ({datos.idioma}) ya existe", field="nombre")
    partes = componentes(datos)
    try:
        respuesta = meta.crear_plantilla(c.business_account_id, c.token, datos.nombre, datos.idioma,
                                         datos.categoria, partes)
    except meta.GraphError as exc:
        _si_token_invalido(session, c, exc)
        raise ValidationError(f"Meta rechazó la plantilla: {exc}", field="nombre") from exc
    except httpx.HTTPError as exc:
        raise Unavailable(f"Meta (Graph API) no responde: {exc.__class__.__name__}; reintente") from exc
    plantilla = WaPlantilla(wa_cuenta_id=c.id, nombre=datos.nombre, idioma=datos.idioma, categoria=datos.categoria,
                            texto=datos.texto, variables_count=len(datos.ejemplos), componentes=partes,
                            encabezado_formato=datos.encabezado_formato,
                            estado_meta=str(respuesta.get("status", "PENDING")),
                            meta_template_id=str(respuesta["id"]))
    session.add(plantilla)
    session.commit()
    session.refresh(plantilla)
    return plantilla


def listar_plantillas(session: Session, pagina: Paginacion, estado: str | None) -> tuple[list, int]:
    stmt = select(WaPlantilla).order_by(WaPlantilla.id)
    if estado:
        stmt = stmt.where(WaPlantilla.estado_meta == estado)
    return paginar(session, stmt, pagina.limit, pagina.offset)


def _si_token_invalido(session: Session, c: WaCuenta, exc: meta.GraphError) -> None:
    """Meta's auth codes (190 expired/invalid, 104 missing...) mark the account, committed at once."""
    if exc.de_autenticacion:
        session.rollback()
        session.execute(text("UPDATE wa_cuentas SET estado = 'TOKEN_INVALIDO', estado_detalle = :d WHERE id = :id"),
                        {"d": str(exc)[:500], "id": c.id})
        session.commit()


# --- consent ------------------------------------------------------------------------------------------

class ContactoIn(Entrada):
    cliente_id: Id
    telefono: str | None = Field(default=None, max_length=30, description="default: the client's telefono")
    opt_in: bool = True
    medio: str = Field(min_length=1, max_length=30, examples=["FORMULARIO_WEB"],
                       description="how consent was given: FORMULARIO_WEB, TIENDA, WHATSAPP, LLAMADA…")
    evidencia: str = Field(min_length=1, max_length=1000, description="the text the client accepted")
    fuente: str = Field(default="", max_length=200, description="where: a URL, the store, the agent")


class OptOutIn(Entrada):
    motivo: str = Field(default="Solicitado por el cliente", max_length=200)


def registrar_contacto(session: Session, datos: ContactoIn) -> WaContacto:
    cliente = session.get(Cliente, datos.cliente_id)
    if cliente is None:
        raise NotFound(f"Cliente {datos.cliente_id} no encontrado", field="cliente_id")
    wa_id = normalizar_telefono(datos.telefono or cliente.telefono, "telefono")
    contacto = session.exec(select(WaContacto).where(WaContacto.cliente_id == cliente.id)).first()
    contacto = contacto or WaContacto(cliente_id=cliente.id, wa_id=wa_id)
    contacto.wa_id = wa_id
    if datos.opt_in:
        contacto.opt_in, contacto.opt_in_fecha, contacto.opt_out_fecha = True, utcnow(), None
        contacto.opt_in_medio, contacto.opt_in_evidencia, contacto.opt_in_fuente = (datos.medio, datos.evidencia,
                                                                                     datos.fuente)
    else:
        contacto.opt_in, contacto.opt_out_fecha, contacto.opt_out_motivo = False, utcnow(), datos.evidencia[:200]
    session.add(contacto)
    session.commit()
    session.refresh(contacto)
    return contacto


def contacto(session: Session, cliente_id: int) -> WaContacto:
    hallado = session.exec(select(WaContacto).where(WaContacto.cliente_id == cliente_id)).first()
    if hallado is None:
        raise NotFound(f"El cliente {cliente_id} no tiene contacto de WhatsApp", field="cliente_id")
    return hallado


def opt_out(session: Session, cliente_id: int, motivo: str) -> WaContacto:
    c = contacto(session, cliente_id)
    c.opt_in, c.opt_out_fecha, c.opt_out_motivo = False, utcnow(), motivo
    session.add(c)
    session.commit()
    session.refresh(c)
    return c


# --- sending: the rules, then the outbox ---------------------------------------------------------------

class EncabezadoIn(Entrada):
    """A media header's parameter: the file Meta fetches from a public link when it delivers the message."""

    tipo: Literal["image", "video", "document"]
    link: str = Field(pattern=r"^https?://[^\s]+$", max_length=2000, description="a public http(s) URL")
    filename: str | None = Field(default=None, max_length=240, description="documents: the name the client sees")

    def parametro(self) -> dict[str, Any]:
        """As Meta's reference shows it: {"type": "document", "document": {"link", "filename"}}."""
        medio: dict[str, Any] = {"link": self.link}
        if self.tipo == "document" and self.filename:
            medio["filename"] = self.filename
        return {"type": self.tipo, self.tipo: medio}


class EnvioIn(Entrada):
    cliente_id: Id
    plantilla_id: Id | None = Field(default=None, description="an APPROVED template; or `texto` (24 h window)")
    parametros: list[Texto] = Field(default_factory=list, max_length=50, description="{{1}}..{{n}}, in order")
    texto: str | None = Field(default=None, min_length=1, max_length=4096, description="free text")
    encabezado: EncabezadoIn | None = Field(default=None, description="the file of a media-header template")

    @model_validator(mode="after")
    def _uno(self) -> "EnvioIn":
        if (self.plantilla_id is None) == (self.texto is None):
            raise ValueError("plantilla_id o texto: indique exactamente uno")
        return self


def plantilla_para(session: Session, plantilla_id: int, campos: list[str]) -> WaPlantilla:
    """A template (any state: Meta may approve it later) whose {{1}}..{{n}} are the `campos` given."""
    plantilla = session.get(WaPlantilla, plantilla_id)
    if plantilla is None:
        raise NotFound(f"Plantilla {plantilla_id} no encontrada", field="plantilla_id")
    if len(campos) != plantilla.variables_count:
        raise ValidationError(f"La plantilla {plantilla.nombre} tiene {plantilla.variables_count} variables; se "
                              f"indicaron {len(campos)} campos", field="parametros")
    return plantilla


def validar_plantilla(plantilla: WaPlantilla | None, plantilla_id: int, parametros: list[str],
                      encabezado: dict[str, Any] | None = None) -> WaPlantilla:
    if plantilla is None:
        raise NotFound(f"Plantilla {plantilla_id} no encontrada", field="plantilla_id")
    if plantilla.estado_meta != "APPROVED":
        raise ValidationError(f"La plantilla {plantilla.nombre} no está aprobada por Meta ({plantilla.estado_meta})",
                              field="plantilla_id")
    if len(parametros) != plantilla.variables_count:
        raise ValidationError(f"La plantilla {plantilla.nombre} tiene {plantilla.variables_count} variables; se "
                              f"recibieron {len(parametros)} parámetros", field="parametros")
    formato = plantilla.encabezado_formato if plantilla.encabezado_formato in FORMATOS_MEDIA else None
    enviado = (encabezado or {}).get("type")
    if formato and enviado != formato.lower():
        raise ValidationError(f"La plantilla {plantilla.nombre} tiene un encabezado {formato}: indique el archivo "
                              f"(encabezado.tipo {formato.lower()!r} y su link)", field="encabezado")
    if formato is None and encabezado:
        raise ValidationError(f"La plantilla {plantilla.nombre} no tiene encabezado multimedia", field="encabezado")
    return plantilla


def contacto_con_opt_in(session: Session, cliente_id: int) -> WaContacto:
    c = session.exec(select(WaContacto).where(WaContacto.cliente_id == cliente_id)).first()
    if c is None or not c.opt_in:
        raise ValidationError(f"El cliente {cliente_id} no dio su consentimiento (opt-in) para WhatsApp",
                              field="cliente_id")
    return c


def enviar(session: Session, datos: EnvioIn) -> WaMensaje:
    """Check consent, template and window, store the message PENDIENTE and ask for its workflow."""
    if session.get(Cliente, datos.cliente_id) is None:
        raise NotFound(f"Cliente {datos.cliente_id} no encontrado", field="cliente_id")
    c = contacto_con_opt_in(session, datos.cliente_id)
    encabezado = datos.encabezado.parametro() if datos.encabezado else None
    if datos.plantilla_id is not None:
        plantilla = validar_plantilla(session.get(WaPlantilla, datos.plantilla_id), datos.plantilla_id,
                                      datos.parametros, encabezado)
        cta = cuenta(session, plantilla.wa_cuenta_id)
    else:
        plantilla, cta = None, cuenta(session)
        fin = c.ultima_interaccion_cliente + VENTANA if c.ultima_interaccion_cliente else None
        if fin is None or fin <= utcnow():
            cerrada = f"se cerró el {fin.isoformat(timespec='seconds')}" if fin else "el cliente nunca escribió"
            raise ValidationError(f"Texto libre solo dentro de las 24 h desde el último mensaje del cliente "
                                  f"({cerrada}); use una plantilla aprobada", field="texto")
    if cta.estado != "ACTIVA":
        raise Conflict(f"La cuenta de WhatsApp {cta.id} no puede enviar: {cta.estado} {cta.estado_detalle}".strip())
    mensaje = WaMensaje(wa_cuenta_id=cta.id, plantilla_id=plantilla.id if plantilla else None,
                        cliente_id=datos.cliente_id, numero_destino=c.wa_id,
                        tipo="template" if plantilla else "text", texto=datos.texto or "",
                        parametros_json=list(datos.parametros), encabezado=encabezado)
    session.add(mensaje)
    session.flush()
    outbox.request_workflow(session, "EnviarMensajeWhatsApp", f"mensaje-wa-{mensaje.id}",
                            MensajeWaEntrada(mensaje.id),
                            search_attributes={"Documento": f"mensaje-wa-{mensaje.id}", "Estado": "PENDIENTE"})
    session.commit()
    session.refresh(mensaje)
    return mensaje


@dataclass
class FiltroMensajes:
    estado: str | None = None
    cliente_id: int | None = None
    campana_id: int | None = None
    desde: Fecha | None = None
    hasta: Fecha | None = None


def listar_mensajes(session: Session, f: FiltroMensajes, pagina: Paginacion) -> tuple[list, int]:
    stmt = select(WaMensaje).order_by(col(WaMensaje.id).desc())
    for columna, valor in ((WaMensaje.estado, f.estado), (WaMensaje.cliente_id, f.cliente_id),
                           (WaMensaje.campana_id, f.campana_id)):
        if valor is not None:
            stmt = stmt.where(columna == valor)
    if f.desde:
        stmt = stmt.where(WaMensaje.created_at >= datetime.combine(f.desde, datetime.min.time(), UTC))
    if f.hasta:
        stmt = stmt.where(WaMensaje.created_at < datetime.combine(f.hasta, datetime.min.time(), UTC)
                          + timedelta(days=1))
    return paginar(session, stmt, pagina.limit, pagina.offset)


# --- the activity's side: one call to Meta, and what its answer means -----------------------------------

class Reintentar(Exception):  # noqa: N818 - a verb: what the caller must do
    """Meta asked us to slow down or failed transiently: the activity is retried with backoff."""


@dataclass
class Despacho:
    resultado: str  # ACEPTADO | FALLIDO | OMITIDO | TOKEN_INVALIDO | INTERRUMPIDO


INTERRUMPIDO = ("Envío interrumpido sin respuesta de Meta (pudo recibirlo): no se reenvía para no duplicar; "
                "si Meta lo entregó, su webhook lo reactiva")


def despachar(mensaje_id: int) -> Despacho:
    """Send one PENDIENTE message, at most once. It is marked ENVIANDO (committed) before the call, so an
    attempt that died mid-call (worker killed, timeout after connecting) is never resent: it fails as
    interrupted, and Meta's status webhook revives it through `biz_opaque_callback_data` if Meta got it.
    Permanent Graph errors are recorded on the message (not retried); throughput limits and transient
    errors before Meta took the message put it back to PENDIENTE and raise Reintentar; an auth error
    marks the account's token invalid."""
    with session_scope() as session:
        m = session.get(WaMensaje, mensaje_id, with_for_update=True)
        if m is not None and m.estado == "ENVIANDO":
            _fallo(session, mensaje_id, None, INTERRUMPIDO)
            return Despacho("INTERRUMPIDO")
        if m is None or m.estado != "PENDIENTE":
            return Despacho("OMITIDO")
        c = session.get(WaCuenta, m.wa_cuenta_id)
        if c.estado != "ACTIVA":
            return Despacho("TOKEN_INVALIDO")
        cuerpo = _cuerpo(session, m)
        token, phone_number_id, cuenta_id = c.token, c.phone_number_id, c.id
        m.estado, m.intentos = "ENVIANDO", m.intentos + 1
        session.add(m)
    try:
        wamid = meta.enviar(phone_number_id, token, cuerpo)
    except meta.GraphError as exc:
        if exc.reintentable:
            _volver_a_pendiente(mensaje_id)
            raise Reintentar(str(exc)) from exc
        with session_scope() as session:
            _fallo(session, mensaje_id, exc.code, str(exc))
            if exc.de_autenticacion:
                session.execute(text("UPDATE wa_cuentas SET estado = 'TOKEN_INVALIDO', estado_detalle = :d "
                                     "WHERE id = :id"), {"d": str(exc)[:500], "id": cuenta_id})
                return Despacho("TOKEN_INVALIDO")
        return Despacho("FALLIDO")
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # Meta never saw it: safe to send again
        _volver_a_pendiente(mensaje_id)
        raise Reintentar(f"Meta no responde: {exc}") from exc
    except httpx.TransportError as exc:  # connected, then lost: Meta may have it
        with session_scope() as session:
            _fallo(session, mensaje_id, None, f"{INTERRUMPIDO} ({exc.__class__.__name__})")
        return Despacho("INTERRUMPIDO")
    with session_scope() as session:
        from services.whatsapp_webhook import aceptado

        aceptado(session, mensaje_id, wamid)
    return Despacho("ACEPTADO")


def _volver_a_pendiente(mensaje_id: int) -> None:
    with session_scope() as session:
        session.execute(text("UPDATE wa_mensajes SET estado = 'PENDIENTE' WHERE id = :id AND estado = 'ENVIANDO'"),
                        {"id": mensaje_id})


def _cuerpo(session: Session, m: WaMensaje) -> dict[str, Any]:
    if m.tipo == "text":
        cuerpo = meta.cuerpo_texto(m.numero_destino, m.texto)
    else:
        plantilla = session.get(WaPlantilla, m.plantilla_id)
        cuerpo = meta.cuerpo_plantilla(m.numero_destino, plantilla.nombre, plantilla.idioma, list(m.parametros_json),
                                       m.encabezado)
    return {**cuerpo, "biz_opaque_callback_data": referencia(m.id)}


def referencia(mensaje_id: int) -> str:
    """Our id in Meta's `biz_opaque_callback_data`, which Meta echoes in the message's status webhooks."""
    return f"erp-wa-{mensaje_id}"


def _fallo(session: Session, mensaje_id: int, codigo: int | None, detalle: str) -> None:
    session.execute(text("UPDATE wa_mensajes SET estado = 'FALLIDO', error_codigo = :c, error_mensaje = :m, "
                         "intentos = greatest(intentos, 1) WHERE id = :id AND estado IN ('PENDIENTE', 'ENVIANDO')"),
                    {"c": codigo, "m": detalle[:1000], "id": mensaje_id})


def registrar_fallo(mensaje_id: int, detalle: str) -> None:
    """The retries ran out (Meta kept limiting us): the message fails with what we last heard."""
    with session_scope() as session:
        _fallo(session, mensaje_id, None, detalle)
