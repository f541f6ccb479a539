"""Module 4 distribución: /api/pedidos/, /api/transportistas/, /api/rutas/."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from starlette.concurrency import run_in_threadpool

from api.deps import Allowed, SessionDep
from core.schemas import Fecha, Id, Pagina, Paginacion, Salida, salida_de
from models.distribucion import AsignacionPedido, DetallePedido, EventoPedido, Pedido, Ruta, Transportista
from services.distribucion import entregas, pedidos, rutas

router = APIRouter(tags=["distribucion"])
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
def listar_pedidos(session: SessionDep, _: Allowed("distribucion", "ver"), pagina: Pag,
                   estado: EstadoPedidoQ | None = None, fecha: Fecha | None = None, cliente_id: Id | None = None,
                   transportista_id: Id | None = None,
                   zona: Annotated[str | None, Query(max_length=30)] = None) -> Pagina[Any]:
    """Newest first; `fecha` is the delivery day."""
    return pagina.pagina(*pedidos.listar(session, pagina, estado, fecha, cliente_id, transportista_id, zona))


@router.get("/api/pedidos/{pedido_id}/", response_model=PedidoDetalleOut)
def obtener_pedido(pedido_id: Id, session: SessionDep, _: Allowed("distribucion", "ver")) -> dict[str, Any]:
    return pedidos.obtener(session, pedido_id)


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
def obtener_ruta(ruta_id: Id, session: SessionDep, _: Allowed("distribucion", "ver")) -> dict[str, Any]:
    return rutas.obtener(session, ruta_id)


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
    firma_bytes = await _leer(firma)
    if firma_bytes is None and firma_trazos is not None:
        firma_bytes = firma_trazos.encode()
    evidencia = entregas.Evidencia(await _leer(foto), firma_bytes, otp, latitud, longitud)
    pedido = await run_in_threadpool(entregas.confirmar, session, user, pedido_id, evidencia)
    return await run_in_threadpool(pedidos.obtener, session, pedido.id)
