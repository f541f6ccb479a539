"""Module 4 distribución: /api/pedidos/, /api/transportistas/, /api/rutas/, /api/guias-remision/."""

import asyncio
import threading
import time
from collections import deque
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile, WebSocket
from fastapi import Path as Path_
from fastapi.responses import HTMLResponse, Response
from pydantic import Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from api.contrato import descarga, errores
from api.deps import Allowed, SessionDep, client_ip, workflow_en_ejecucion
from api.paginas import pagina as pagina_html
from core import tiempo_real
from core.db import session_scope
from core.errors import NotFound, TooManyRequests, ValidationError
from core.schemas import Fecha, Id, Pagina, Paginacion, Salida, salida_de
from models.distribucion import (
    AsignacionPedido,
    DetallePedido,
    EventoPedido,
    GuiaRemision,
    Pedido,
    Ruta,
    TrackingTransportista,
    Transportista,
)
from services.distribucion import entregas, gre, gre_baja, pedidos, rutas, seguimiento
from services.distribucion import hoja_ruta as hoja_ruta_pdf
from workflows.entradas import GuiaRef

router = APIRouter(tags=["distribucion"])
MAX_CDR = 1_000_000  # a CDR zip is a few kB
Pag = Annotated[Paginacion, Depends()]

PedidoOut = salida_de(Pedido, "PedidoOut", doc="An order (its stock reserved in the dispatch warehouse).")
DetallePedidoOut = salida_de(DetallePedido, "DetallePedidoOut")
EventoPedidoOut = salida_de(EventoPedido, "EventoPedidoOut", doc="One entry of an order's history (immutable).")
AsignacionOut = salida_de(AsignacionPedido, "AsignacionOut", excluir=("otp_hash",),
                          doc="The order's place on a route and its proof of delivery.")
PedidoDetalleOut = salida_de(
    Pedido, "PedidoDetalleOut", doc="An order with its lines, its history and its latest route assignment.",
    lineas=(list[DetallePedidoOut], ...), eventos=(list[EventoPedidoOut], ...),  # type: ignore[valid-type]
    asignacion=(AsignacionOut | None, None))  # type: ignore[valid-type]
TransportistaOut = salida_de(Transportista, "TransportistaOut")
RutaOut = salida_de(Ruta, "RutaOut", doc="A carrier's route of one day with its stops in visiting order.",
                    paradas=(list[AsignacionOut], ...),  # type: ignore[valid-type]
                    peso_total=(str, ...), volumen_total=(str, ...))


class PlanDiaOut(Salida):
    """The day's plan: the routes created (stops ordered) and the orders no carrier could take."""

    rutas: list[RutaOut]  # type: ignore[valid-type]
    sin_asignar: list[int]


EstadoPedidoQ = Literal["PENDIENTE", "PLANIFICADO", "EN_RUTA", "ENTREGADO", "NO_ENTREGADO", "CANCELADO"]


# --- pedidos ---------------------------------------------------------------------------------------------------


@router.post("/api/pedidos/", status_code=201, response_model=PedidoDetalleOut)
def crear_pedido(datos: pedidos.PedidoIn, session: SessionDep, user: Allowed("distribucion", "crear")) -> dict:
    """Reserves each line's stock in the dispatch warehouse (400 naming the line when short) and starts the
    order's `EntregaPedido` workflow (`pedido-<id>`), which geocodes the address when no coordinates came."""
    return pedidos.obtener(session, pedidos.crear(session, user, datos).id)


@router.get("/api/pedidos/", response_model=Pagina[PedidoOut])
def listar_pedidos(session: SessionDep, user: Allowed("distribucion", "ver"), pagina: Pag,
                   estado: EstadoPedidoQ | None = None, fecha: Fecha | None = None, cliente_id: Id | None = None,
                   transportista_id: Id | None = None,
                   zona: Annotated[str | None, Query(max_length=30)] = None) -> Pagina[Any]:
    """Newest first; `fecha` is the delivery day. A driver sees only the orders on their vehicle's routes."""
    return pagina.pagina(*pedidos.listar(session, user, pagina, estado, fecha, cliente_id, transportista_id, zona))


@router.get("/api/pedidos/{pedido_id}/", response_model=PedidoDetalleOut)
def obtener_pedido(pedido_id: Id, session: SessionDep, user: Allowed("distribucion", "ver")) -> dict[str, Any]:
    """A driver reads only the orders on their vehicle's routes (403)."""
    return pedidos.obtener(session, pedido_id, user)


@router.put("/api/pedidos/{pedido_id}/estado/", response_model=PedidoDetalleOut)
def cambiar_estado(pedido_id: Id, datos: pedidos.EstadoIn, session: SessionDep,
                   user: Allowed("distribucion", "estado")) -> dict[str, Any]:
    """Allowed transitions only (409 naming the current state otherwise). EN_RUTA needs every line still
    reserved (400); CANCELADO releases the reservation; NO_ENTREGADO → PENDIENTE retries the next day."""
    return pedidos.obtener(session, pedidos.cambiar_estado(session, user, pedido_id, datos).id)


# --- transportistas y rutas ------------------------------------------------------------------------------------


@router.post("/api/transportistas/", status_code=201, response_model=TransportistaOut)
def crear_transportista(datos: rutas.TransportistaIn, session: SessionDep,
                        _: Allowed("distribucion", "transportistas")) -> Transportista:
    return rutas.crear_transportista(session, datos)


@router.get("/api/transportistas/", response_model=Pagina[TransportistaOut])
def listar_transportistas(session: SessionDep, _: Allowed("distribucion", "ver"), pagina: Pag,
                          activo: bool | None = None) -> Pagina[Any]:
    return pagina.pagina(*rutas.listar_transportistas(session, pagina, activo))


@router.post("/api/rutas/", status_code=201, response_model=RutaOut)
def crear_ruta(datos: rutas.RutaIn, session: SessionDep, _: Allowed("distribucion", "planificar")) -> dict[str, Any]:
    return rutas.obtener(session, rutas.crear(session, datos).id)


@router.get("/api/rutas/{ruta_id}/", response_model=RutaOut)
def obtener_ruta(ruta_id: Id, session: SessionDep, user: Allowed("distribucion", "ver")) -> dict[str, Any]:
    return rutas.obtener(session, ruta_id, user)


@router.get("/api/rutas/{ruta_id}/hoja/", **descarga("application/pdf", "The route sheet"))
def hoja_ruta(ruta_id: Id, session: SessionDep, user: Allowed("distribucion", "ver")) -> Response:
    """Stops in visiting order with client, address, items, weight, ETA and a QR per order (its confirmation)."""
    rutas.obtener(session, ruta_id, user)  # 404 / 403 (another driver's route)
    return Response(hoja_ruta_pdf.generar(session, ruta_id), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="hoja-ruta-{ruta_id}.pdf"'})


@router.post("/api/rutas/{ruta_id}/asignar/", response_model=RutaOut)
def asignar(ruta_id: Id, datos: rutas.AsignarIn, session: SessionDep,
            user: Allowed("distribucion", "planificar")) -> dict[str, Any]:
    """The day's weight, volume and order count of the carrier must stay within its limits (400 naming the
    limit and the excess); an order is on at most one active route (409)."""
    return rutas.obtener(session, rutas.asignar(session, user, ruta_id, datos).id)


@router.post("/api/rutas/{ruta_id}/optimizar/", response_model=RutaOut)
def optimizar(ruta_id: Id, session: SessionDep, _: Allowed("distribucion", "planificar"),
              segundos: Annotated[float, Query(gt=0, le=10)] = 1.0) -> dict[str, Any]:
    """Visiting order from the dispatch warehouse and back (haversine distances, time windows), with ETAs."""
    return rutas.obtener(session, rutas.optimizar(session, ruta_id, segundos).id)


@router.post("/api/rutas/planificar/", status_code=201, response_model=PlanDiaOut)
def planificar_dia(datos: rutas.PlanDiaIn, session: SessionDep,
                   user: Allowed("distribucion", "planificar")) -> dict[str, Any]:
    """Assign and order the day's PENDIENTE orders of a warehouse among the active carriers (a capacitated VRP
    over weight, volume and order count); orders that fit nobody stay PENDIENTE and are listed."""
    return rutas.planificar_dia(session, user, datos)


# --- guías de remisión (GRE remitente) --------------------------------------------------------------------------

GuiaRemisionOut = salida_de(GuiaRemision, "GuiaRemisionOut", doc="The GRE remitente (tipo 09) an order travels "
                            "under: PENDIENTE → ENVIADA (SUNAT's ticket) → ACEPTADA / RECHAZADA (code and reason); "
                            "ERROR (not issued); POR_VERIFICAR (registered at SUNAT, answer lost: upload its CDR); "
                            "BAJA_PENDIENTE → ANULADA (voided in SOL).")


@router.get("/api/pedidos/{pedido_id}/gre/", response_model=GuiaRemisionOut)
def gre_del_pedido(pedido_id: Id, session: SessionDep, _: Allowed("distribucion", "ver")) -> GuiaRemision:
    """The order's latest GRE (issued when it was assigned to a route; EN_RUTA needs it ACEPTADA)."""
    return gre.del_pedido(session, pedido_id)


@router.get("/api/guias-remision/{guia_id}/pdf/", **descarga("application/pdf", "The printed GRE with its QR"))
def gre_pdf(guia_id: Id, session: SessionDep, _: Allowed("distribucion", "ver")) -> Response:
    guia = gre.obtener(session, guia_id)
    return Response(gre.pdf(session, guia_id), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="GRE-{guia.serie}-{guia.numero}.pdf"'})


def _archivo_gre(session: Session, guia_id: int, tipo: str, media_type: str) -> Response:
    contenido, nombre = gre.archivo(session, guia_id, tipo)
    return Response(contenido, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{nombre}"'})


@router.get("/api/guias-remision/{guia_id}/xml/", **descarga("application/xml", "The signed DespatchAdvice"))
def gre_xml(guia_id: Id, session: SessionDep, _: Allowed("distribucion", "ver")) -> Response:
    return _archivo_gre(session, guia_id, "xml", "application/xml")


@router.get("/api/guias-remision/{guia_id}/cdr/", **descarga("application/zip", "SUNAT's CDR (zip)"))
def gre_cdr(guia_id: Id, session: SessionDep, _: Allowed("distribucion", "ver")) -> Response:
    return _archivo_gre(session, guia_id, "cdr", "application/zip")


@router.post("/api/guias-remision/{guia_id}/reenviar/", status_code=202, response_model=GuiaRemisionOut)
async def reenviar_gre(guia_id: Id, datos: gre.CorreccionGreIn, session: SessionDep,
                       _: Allowed("distribucion", "planificar")) -> GuiaRemision:
    """Re-send a RECHAZADA or ERROR guía once its data is corrected (carrier plate or licence, address or
    ubigeo, weight…): the order's workflow rebuilds, re-signs and sends it, the order staying on its route
    (EN_RUTA passes once SUNAT accepts). A rejected guía's number is burnt: the re-send is a new guía under the
    next number (follow it at GET /api/pedidos/{id}/gre/). 409 when the guía is not re-sendable or its GRE is
    still at SUNAT (the corrections, the order's and carrier's real data, stand)."""
    guia = await run_in_threadpool(gre.corregir, session, guia_id, datos)
    pedido_id = guia.pedido_id
    session.rollback()  # no connection held while Temporal works
    no_en_ejecucion = f"El despacho del pedido PED-{pedido_id} no está en ejecución"
    async with workflow_en_ejecucion(pedidos.workflow_id(pedido_id), no_en_ejecucion, "estado") as handle:
        await handle.execute_update("reenviar_gre", GuiaRef(guia_id), result_type=str)
    return gre.obtener(session, guia_id)


@router.post("/api/guias-remision/{guia_id}/cdr/", response_model=GuiaRemisionOut)
async def cargar_cdr_gre(
    guia_id: Id, session: SessionDep, _: Allowed("distribucion", "planificar"),
    archivo: Annotated[UploadFile, File(description="the CDR zip downloaded from SUNAT's SOL portal")],
) -> GuiaRemision:
    """A POR_VERIFICAR guía (SUNAT had registered it, the answer was lost): its CDR from SOL, checked to be the
    signed answer for this guía, makes it ACEPTADA or RECHAZADA as the CDR says."""
    contenido = await archivo.read(MAX_CDR + 1)
    if len(contenido) > MAX_CDR:
        raise ValidationError("El CDR supera 1 MB", field="archivo")
    return await run_in_threadpool(gre.cargar_cdr, session, guia_id, contenido)


@router.post("/api/guias-remision/{guia_id}/baja/confirmar/", response_model=GuiaRemisionOut)
def confirmar_baja_gre(guia_id: Id, session: SessionDep, _: Allowed("distribucion", "planificar")) -> GuiaRemision:
    """The dispatcher voided the BAJA_PENDIENTE guía in SUNAT's SOL portal (SUNAT offers no web service for a
    GRE's baja): it becomes ANULADA; its number is never reused."""
    return gre_baja.confirmar_baja(session, guia_id)


# --- entregas ---------------------------------------------------------------------------------------------------


async def _leer(archivo: UploadFile | None) -> bytes | None:
    # One byte over the limit is enough to refuse it (the service names the field); never the whole upload.
    return None if archivo is None else await archivo.read(entregas.MAX_IMAGEN + 1)


@router.post("/api/entregas/{pedido_id}/confirmar/", response_model=PedidoDetalleOut)
async def confirmar_entrega(
    pedido_id: Id, session: SessionDep, user: Allowed("distribucion", "confirmar"),
    foto: Annotated[UploadFile | None, File(description="JPEG, PNG or WebP, up to 5 MB")] = None,
    firma: Annotated[UploadFile | None, File(description="the signature as an image")] = None,
    firma_trazos: Annotated[str | None, Form(max_length=200_000,
                                             description="the signature as JSON strokes [[[x, y], ...], ...]")] = None,
    otp: Annotated[str | None, Form(pattern="^[0-9]{6}$", description="the code sent to the customer")] = None,
    latitud: Annotated[float | None, Form(ge=-90, le=90)] = None,
    longitud: Annotated[float | None, Form(ge=-180, le=180)] = None,
) -> dict[str, Any]:
    """`pedido_id` is the order's id (the QR of the route sheet). At least one valid piece of evidence (400
    otherwise); the driver confirms only their own stops (403). The reservation becomes a definitive exit."""
    evidencia = entregas.Evidencia(foto=await _leer(foto), firma=await _leer(firma), otp=otp, trazos=firma_trazos,
                                   latitud=latitud, longitud=longitud)
    pedido = await run_in_threadpool(entregas.confirmar, session, user, pedido_id, evidencia)
    return await run_in_threadpool(pedidos.obtener, session, pedido.id)


@router.get("/entregas/{pedido_id}/confirmar", response_class=HTMLResponse, include_in_schema=False)
def pagina_confirmar(pedido_id: Id) -> HTMLResponse:
    """The page the route sheet's QR opens: the driver logs in and confirms with a photo, a signature drawn on
    a canvas or the customer's code; it posts to `POST /api/entregas/{id}/confirmar/` (all checks are there)."""
    return HTMLResponse(pagina_html("confirmar_entrega.html"))


# --- tracking ---------------------------------------------------------------------------------------------------

PosicionOut = salida_de(TrackingTransportista, "PosicionOut", doc="A GPS fix of a carrier.")


class PosicionPublicaOut(Salida):
    latitud: float
    longitud: float
    momento: datetime


class EventoPublicoOut(Salida):
    estado: str
    momento: datetime


class SeguimientoOut(Salida):
    """What the customer sees: no other stops, no names, no phone numbers."""

    codigo: str
    estado: str
    fecha_entrega: date
    distrito: str
    eta: datetime | None = Field(description="recomputed from the carrier's GPS while EN_RUTA")
    posicion_transportista: PosicionPublicaOut | None
    eventos: list[EventoPublicoOut]


class LimitePorIp:
    """At most `n` requests a minute per client address, in this process (a sliding window)."""

    def __init__(self, n: int) -> None:
        self.n, self._vistos, self._lock = n, dict[str, deque](), threading.Lock()

    def __call__(self, request: HTTPConnection) -> None:
        ahora, ip = time.monotonic(), client_ip(request)
        with self._lock:
            vistos = self._vistos.setdefault(ip, deque())
            while vistos and vistos[0] < ahora - 60:
                vistos.popleft()
            if len(vistos) >= self.n:
                raise TooManyRequests("Demasiadas consultas de seguimiento; espere un minuto")
            vistos.append(ahora)
            if len(self._vistos) > 10_000:  # forget idle addresses
                self._vistos = {k: v for k, v in self._vistos.items() if v and v[-1] > ahora - 60}


limite_seguimiento = LimitePorIp(60)
CodigoPath = Annotated[str, Path_(min_length=10, max_length=24, pattern="^[A-Za-z0-9_-]+$")]
PAGINA = pagina_html("seguimiento.html")


@router.post("/api/tracking/actualizar/", status_code=201, response_model=PosicionOut)
def actualizar_posicion(datos: seguimiento.PosicionIn, session: SessionDep,
                        user: Allowed("distribucion", "tracking")) -> TrackingTransportista:
    """The carrier's device, every ~30 s. Pushed at once to the WebSocket subscribers of its orders."""
    return seguimiento.actualizar(session, user, datos)


@router.get("/api/transportistas/{transportista_id}/ubicacion/", response_model=PosicionOut)
def ubicacion(transportista_id: Id, session: SessionDep,
              user: Allowed("distribucion", "ver")) -> TrackingTransportista:
    pedidos.exigir_alcance(session, user, transportista_id)
    return seguimiento.ubicacion(session, transportista_id)


@router.get("/api/pedidos/seguimiento/{codigo}/", response_model=SeguimientoOut,
            dependencies=[Depends(limite_seguimiento)], responses=errores(429))
def seguimiento_publico(codigo: CodigoPath, session: SessionDep) -> dict[str, Any]:
    """Public (no JWT; the unguessable code is the key), rate limited per address."""
    return seguimiento.publico(session, codigo)


@router.get("/seguimiento/{codigo}", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[Depends(limite_seguimiento)])
def pagina_seguimiento(codigo: CodigoPath) -> HTMLResponse:
    """The page the customer's link opens: it reads the public endpoint and listens on the WebSocket."""
    return HTMLResponse(PAGINA)


def _inicial(codigo: str) -> tuple[dict[str, Any], int | None, int]:
    with session_scope() as session:
        datos = seguimiento.publico(session, codigo)
        pedido = seguimiento.pedido_por_codigo(session, codigo)
        return datos, seguimiento.transportista_de(session, pedido.id), pedido.id


@router.websocket("/ws/seguimiento/{codigo}")
async def ws_seguimiento(websocket: WebSocket, codigo: str) -> None:
    """Public live feed of one order: a snapshot, then its carrier's GPS fixes with the order's ETA while the order is
    EN_RUTA (never the carrier's way to other customers, before or after this delivery). Counted in the public
    tracking's rate limit (4429 over it)."""
    try:
        limite_seguimiento(websocket)
        datos, transportista_id, pedido_id = await asyncio.to_thread(_inicial, codigo[:24])
    except TooManyRequests:
        await websocket.close(code=4429)
        return
    except NotFound:
        await websocket.close(code=4404)
        return
    await websocket.accept()
    await websocket.send_text(SeguimientoOut.model_validate(datos).model_dump_json())
    if transportista_id is None:
        await websocket.close()
        return

    def mensaje(fix: dict) -> dict | None:
        # The fix carries the ETAs of the carrier's stops still EN_RUTA: without this order's, the carrier is not
        # (or no longer) on its way here, and its position would show the customer someone else's delivery.
        if str(pedido_id) not in fix["etas"]:
            return None
        return {"latitud": fix["latitud"], "longitud": fix["longitud"], "momento": fix["momento"],
                "eta": fix["etas"][str(pedido_id)]}

    async with tiempo_real.difusor().suscripcion(seguimiento.tema(transportista_id)) as cola:
        await tiempo_real.reenviar(websocket, cola, mensaje)
