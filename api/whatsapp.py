"""Module 7 WhatsApp (Meta Cloud API): /api/whatsapp/ accounts, templates, consent, messages, campaigns,
metrics, and Meta's public webhook."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response
from pydantic import Field
from temporalio.client import WorkflowHandle

from api.contrato import descarga, errores
from api.deps import Allowed, SessionDep, workflow_en_ejecucion
from core.db import session_scope
from core.errors import NotFound
from core.schemas import Fecha, Id, Pagina, Paginacion, Salida, salida_de
from core.settings import get_settings
from integrations.storage import get_storage
from models.whatsapp import (
    IntentoNotificacion,
    NotificacionCliente,
    WaCampana,
    WaContacto,
    WaCuenta,
    WaEvento,
    WaMensaje,
    WaPlantilla,
)
from services import facturacion, notificaciones_cliente, whatsapp, whatsapp_campanas, whatsapp_webhook
from workflows.entradas import ReprogramacionCampanaWa

router = APIRouter(prefix="/api/whatsapp", tags=["whatsapp"])
Pag = Annotated[Paginacion, Depends()]
ID_EN_CUERPO = errores(404)  # an id in the body (cliente, plantilla, cuenta) that does not exist

CuentaOut = salida_de(WaCuenta, "CuentaWaOut", excluir=("token", "app_secret"),
                      doc="A WhatsApp Business number; its token and app secret are stored encrypted, never shown.")
PlantillaOut = salida_de(WaPlantilla, "PlantillaWaOut", doc="A template and Meta's review state (estado_meta).")
ContactoOut = salida_de(WaContacto, "ContactoWaOut", doc="A client's WhatsApp number and consent record.")
MensajeOut = salida_de(WaMensaje, "MensajeWaOut", doc="An outgoing message: ENVIADO_A_META once Meta accepted it "
                       "(meta_message_id is the wamid); statuses move it to ENVIADO, ENTREGADO, LEIDO or FALLIDO.")
CampanaOut = salida_de(WaCampana, "CampanaWaOut", doc="A campaign with its live counters.",
                       enviados=(int, ...), entregados=(int, ...), leidos=(int, ...), fallidos=(int, ...),
                       pendientes=(int, ...))


class ProgresoOut(Salida):
    """What the campaign's workflow reports (Temporal query)."""

    estado: str
    enviados: int
    fallidos: int
    lotes: int
    esperando_cupo_s: float = Field(description="> 0 while the tier's rolling 24 h is full")
    fecha_programada: str | None = Field(default=None, description="PROGRAMADA: when the durable timer starts it")


class GrupoMetricasOut(Salida):
    clave: str = Field(description="the day (America/Lima), template name or campaign name")
    total: int
    entregados: int
    leidos: int
    fallidos: int
    tasa_entrega: Decimal = Field(description="% of total")
    tasa_lectura: Decimal
    tasa_fallo: Decimal


class ErrorFrecuenteOut(Salida):
    codigo: int = Field(description="Meta's error code (131047, 131026, 132001…)")
    cantidad: int


class MetricasOut(Salida):
    agrupar: str
    grupos: list[GrupoMetricasOut]
    top_errores: list[ErrorFrecuenteOut]


EventoOut = salida_de(WaEvento, "EventoWaOut", doc="The approved template that carries a business event to a "
                     "customer, and the event's variable for each {{n}} (and a media header's link).")
IntentoOut = salida_de(IntentoNotificacion, "IntentoNotificacionOut", doc="One attempt of a notice on one channel.")
NotificacionOut = salida_de(NotificacionCliente, "NotificacionClienteOut", excluir=("correo",),
                            doc="A notice to a customer: the channel decided (and why), its state and its attempts.",
                            intentos=(list[IntentoOut], ...))
Evento = Literal[tuple(notificaciones_cliente.EVENTOS)]  # type: ignore[valid-type]
CATALOGO = "; ".join(f"{k}: {e.descripcion} ({', '.join(e.variables)})"
                     for k, e in notificaciones_cliente.EVENTOS.items())


class RecibidoOut(Salida):
    recibido: bool = True
    log_id: int


# --- accounts, templates, consent ----------------------------------------------------------------------

@router.post("/cuentas/", status_code=201, response_model=CuentaOut)
def crear_cuenta(datos: whatsapp.CuentaIn, session: SessionDep, _: Allowed("whatsapp", "configurar")) -> WaCuenta:
    return whatsapp.crear_cuenta(session, datos)


@router.get("/cuentas/", response_model=Pagina[CuentaOut])
def listar_cuentas(session: SessionDep, _: Allowed("whatsapp", "ver"), pagina: Pag) -> Pagina[CuentaOut]:
    return pagina.pagina(*whatsapp.listar_cuentas(session, pagina))


@router.post("/plantillas/", status_code=201, response_model=PlantillaOut, responses=ID_EN_CUERPO)
def crear_plantilla(datos: whatsapp.PlantillaIn, session: SessionDep,
                    _: Allowed("whatsapp", "configurar")) -> WaPlantilla:
    """Submitted to Meta (`message_templates`) and stored PENDING; Meta's decision arrives by webhook."""
    return whatsapp.crear_plantilla(session, datos)


@router.get("/plantillas/", response_model=Pagina[PlantillaOut])
def listar_plantillas(session: SessionDep, _: Allowed("whatsapp", "ver"), pagina: Pag,
                      estado: Annotated[str | None, Query(max_length=20, examples=["APPROVED"])] = None,
                      ) -> Pagina[PlantillaOut]:
    return pagina.pagina(*whatsapp.listar_plantillas(session, pagina, estado))


@router.post("/contactos/", status_code=201, response_model=ContactoOut, responses=ID_EN_CUERPO)
def registrar_contacto(datos: whatsapp.ContactoIn, session: SessionDep,
                       _: Allowed("whatsapp", "enviar")) -> WaContacto:
    """Record a client's consent (opt_in true, with how and the evidence) or its withdrawal (opt_in false)."""
    return whatsapp.registrar_contacto(session, datos)


@router.get("/contactos/{cliente_id}/", response_model=ContactoOut)
def obtener_contacto(cliente_id: Id, session: SessionDep, _: Allowed("whatsapp", "ver")) -> WaContacto:
    return whatsapp.contacto(session, cliente_id)


@router.post("/contactos/{cliente_id}/opt-out/", response_model=ContactoOut)
def registrar_opt_out(cliente_id: Id, datos: whatsapp.OptOutIn, session: SessionDep,
                      _: Allowed("whatsapp", "enviar")) -> WaContacto:
    """An agent records that the client no longer wants messages."""
    return whatsapp.opt_out(session, cliente_id, datos.motivo)


# --- messages ---------------------------------------------------------------------------------------

@router.post("/mensajes/enviar/", status_code=202, response_model=MensajeOut, responses=ID_EN_CUERPO)
def enviar(datos: whatsapp.EnvioIn, session: SessionDep, _: Allowed("whatsapp", "enviar")) -> WaMensaje:
    """Validated (opt-in, APPROVED template, parameter count, 24 h window for free text) and queued: a
    workflow sends it; the answer is PENDIENTE and GET /mensajes/ shows how it goes."""
    return whatsapp.enviar(session, datos)


@router.get("/mensajes/", response_model=Pagina[MensajeOut])
def listar_mensajes(session: SessionDep, _: Allowed("whatsapp", "ver"), pagina: Pag,
                    estado: Annotated[str | None, Query(max_length=20)] = None, cliente_id: Id | None = None,
                    campana_id: Id | None = None, desde: Fecha | None = None,
                    hasta: Fecha | None = None) -> Pagina[MensajeOut]:
    filtro = whatsapp.FiltroMensajes(estado, cliente_id, campana_id, desde, hasta)
    return pagina.pagina(*whatsapp.listar_mensajes(session, filtro, pagina))


# --- campaigns ----------------------------------------------------------------------------------------

@router.post("/campanas/", status_code=201, response_model=CampanaOut, responses=ID_EN_CUERPO)
def crear_campana(datos: whatsapp_campanas.CampanaIn, session: SessionDep,
                  _: Allowed("whatsapp", "campanas")) -> dict[str, Any]:
    return whatsapp_campanas.crear(session, datos)


@router.get("/campanas/", response_model=Pagina[CampanaOut])
def listar_campanas(session: SessionDep, _: Allowed("whatsapp", "ver"), pagina: Pag) -> Pagina[CampanaOut]:
    return pagina.pagina(*whatsapp_campanas.listar(session, pagina))


@router.get("/campanas/{campana_id}/", response_model=CampanaOut)
def obtener_campana(campana_id: Id, session: SessionDep, _: Allowed("whatsapp", "ver")) -> dict[str, Any]:
    return whatsapp_campanas.obtener(session, campana_id)


@router.post("/campanas/{campana_id}/ejecutar/", status_code=202, response_model=CampanaOut)
def ejecutar_campana(campana_id: Id, session: SessionDep, _: Allowed("whatsapp", "campanas")) -> dict[str, Any]:
    """Starts the campaign's workflow (`campana-<id>`) after commit and answers at once (EN_COLA)."""
    return whatsapp_campanas.ejecutar(session, campana_id)


@asynccontextmanager
async def _workflow_de(session: SessionDep, campana_id: int) -> AsyncIterator[WorkflowHandle]:
    """The campaign's workflow handle, with Temporal's answers turned into ours (409 not running, 503 down)."""
    whatsapp_campanas.obtener(session, campana_id)  # 404 first
    session.rollback()  # no connection held while Temporal works
    async with workflow_en_ejecucion(f"campana-{campana_id}",
                                     f"La campaña {campana_id} no está en ejecución") as handle:
        yield handle


async def _controlar(session: SessionDep, campana_id: int, update: str) -> dict[str, Any]:
    async with _workflow_de(session, campana_id) as handle:
        await handle.execute_update(update)
    return whatsapp_campanas.obtener(session, campana_id)


@router.post("/campanas/{campana_id}/pausar/", response_model=CampanaOut)
async def pausar_campana(campana_id: Id, session: SessionDep, _: Allowed("whatsapp", "campanas")) -> dict[str, Any]:
    return await _controlar(session, campana_id, "pausar")


@router.post("/campanas/{campana_id}/reanudar/", response_model=CampanaOut)
async def reanudar_campana(campana_id: Id, session: SessionDep,
                           _: Allowed("whatsapp", "campanas")) -> dict[str, Any]:
    return await _controlar(session, campana_id, "reanudar")


@router.post("/campanas/{campana_id}/cancelar/", response_model=CampanaOut)
async def cancelar_campana(campana_id: Id, session: SessionDep,
                           _: Allowed("whatsapp", "campanas")) -> dict[str, Any]:
    return await _controlar(session, campana_id, "cancelar")


@router.get("/campanas/{campana_id}/progreso/", response_model=ProgresoOut)
async def progreso_campana(campana_id: Id, session: SessionDep, _: Allowed("whatsapp", "ver")) -> Any:
    async with _workflow_de(session, campana_id) as handle:
        return await handle.query("progreso")


@router.post("/campanas/{campana_id}/reprogramar/", response_model=CampanaOut)
async def reprogramar_campana(campana_id: Id, datos: whatsapp_campanas.ReprogramarIn, session: SessionDep,
                              _: Allowed("whatsapp", "campanas")) -> dict[str, Any]:
    """A scheduled campaign (PROGRAMADA) that has not started moves to another date (not in the past)."""
    async with _workflow_de(session, campana_id) as handle:
        await handle.execute_update("reprogramar", ReprogramacionCampanaWa(datos.fecha_programada.isoformat()))
    return whatsapp_campanas.obtener(session, campana_id)


# --- customer notifications from the other modules --------------------------------------------------------

@router.put("/eventos/{evento}/", response_model=EventoOut, responses=ID_EN_CUERPO,
            description=f"Map a business event to an approved template. Events and their variables: {CATALOGO}.")
def configurar_evento(evento: Evento, datos: notificaciones_cliente.EventoIn, session: SessionDep,
                      _: Allowed("whatsapp", "configurar")) -> WaEvento:
    return notificaciones_cliente.configurar_evento(session, evento, datos)


@router.get("/eventos/", response_model=Pagina[EventoOut])
def listar_eventos(session: SessionDep, _: Allowed("whatsapp", "ver"), pagina: Pag) -> Pagina[EventoOut]:
    return pagina.pagina(*notificaciones_cliente.listar_eventos(session, pagina))


@router.get("/notificaciones/", response_model=Pagina[NotificacionOut])
def listar_notificaciones(session: SessionDep, _: Allowed("whatsapp", "ver"), pagina: Pag,
                          cliente_id: Id | None = None, evento: Evento | None = None,
                          objeto_id: Annotated[str | None, Query(max_length=50)] = None) -> Pagina[NotificacionOut]:
    """Every notice other modules asked for: the channel decided (WHATSAPP, EMAIL, NINGUNO and why) and each
    attempt (WhatsApp, then the e-mail fallback)."""
    return pagina.pagina(*notificaciones_cliente.listar(session, pagina, cliente_id, evento, objeto_id))


PDF_PUBLICO = descarga("application/pdf", "The comprobante's PDF")
PDF_PUBLICO["responses"] |= errores(403, 404, 410)


@router.get("/publico/comprobantes/{ref}/", **PDF_PUBLICO)
def pdf_publico(ref: Annotated[str, Path(max_length=1000, description="the comprobante's id (or an older link's "
                                                                       "token)")],
                session: SessionDep,
                expira: Annotated[int | None, Query(ge=0, le=2**62, description="unix seconds")] = None,
                firma: Annotated[str | None, Query(pattern="^[0-9a-fA-F]{64}$")] = None) -> Response:
    """Public: the link a customer gets with the comprobante (and Meta fetches for a DOCUMENT header), signed
    like an export's download (HMAC over purpose, path and expiry) and valid 30 days: altered or another
    comprobante's → 403, expired → 410. Links of the older JWT kind open until they expire."""
    c = facturacion.obtener(session, notificaciones_cliente.comprobante_del_enlace(ref, expira, firma))
    if not c.pdf_path:
        raise NotFound("Enlace no válido o vencido")
    return Response(get_storage().get(c.pdf_path), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{c.pdf_path.rsplit("/", 1)[-1]}"'})


@router.get("/metricas/", response_model=MetricasOut)
def metricas(session: SessionDep, _: Allowed("whatsapp", "ver"), desde: Fecha | None = None,
             hasta: Fecha | None = None,
             agrupar: Literal["dia", "plantilla", "campana"] = "dia") -> dict[str, Any]:
    """Delivery, read and failure rates by day, template or campaign, and the most frequent error codes."""
    return whatsapp_campanas.metricas(session, desde, hasta, agrupar, get_settings().timezone)


# --- Meta's webhook (public) -------------------------------------------------------------------------

@router.get("/webhook/", response_class=PlainTextResponse, responses={
    200: {"description": "hub.challenge echoed", "content": {"text/plain": {"schema": {"type": "string"}}}},
    **errores(403)})
def verificar_webhook(mode: Annotated[str | None, Query(alias="hub.mode", max_length=20)] = None,
                      token: Annotated[str | None, Query(alias="hub.verify_token", max_length=200)] = None,
                      challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=200)] = None,
                      ) -> PlainTextResponse:
    """Meta's verification handshake when the webhook URL is configured."""
    return PlainTextResponse(whatsapp_webhook.verificar_suscripcion(mode, token, challenge))


@router.post("/webhook/", response_model=RecibidoOut, responses=errores(403))
async def webhook(request: Request) -> RecibidoOut:
    """Statuses, inbound messages and template decisions from Meta. The body must carry a valid
    X-Hub-Signature-256 (HMAC-SHA256 with the app secret), else 403 and nothing is stored; it is stored raw
    and processed by a workflow, so Meta gets its 200 at once."""
    cuerpo = await request.body()
    firma = request.headers.get("X-Hub-Signature-256")

    def guardar() -> int:
        with session_scope() as session:
            return whatsapp_webhook.recibir(session, cuerpo, firma).id

    return RecibidoOut(log_id=await run_in_threadpool(guardar))

