"""Carriers and routes (module 4): assignment under the carrier's daily limits, the optimised visiting order
with ETAs, and the plan of a whole day (capacitated VRP)."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field
from sqlalchemy import func, select
from sqlmodel import Session

from core.db import paginar
from core.errors import Conflict, NotFound, ValidationError
from core.schemas import Entrada, Fecha, Id, Paginacion
from core.settings import get_settings
from models.distribucion import AsignacionPedido, Pedido, Ruta, Transportista
from models.inventario import Almacen
from services.auth import AuthUser
from services.distribucion import optimizacion
from services.distribucion.pedidos import asignacion_activa, bloquear, evento, exigir_alcance, exigir_transicion

HORA_SALIDA = time(8, 0)  # routes leave the warehouse at 08:00 Lima unless optimised later in the day


class TransportistaIn(Entrada):
    nombre: str = Field(min_length=1, max_length=150)
    tipo_vehiculo: Literal["FURGONETA", "CAMION", "MOTO"]
    categoria_vehiculo: Literal["M1", "L", "N1", "N2", "N3"] = "N1"
    placa: str = Field(pattern="^[A-Z0-9]{3}-?[A-Z0-9]{3}$")
    conductor_tipo_doc: Literal["1", "4", "7"] = "1"
    conductor_documento: str = Field(pattern="^[0-9A-Z]{8,15}$")
    conductor_licencia: str = Field(pattern="^[A-Z0-9]{9,12}$")
    usuario_id: Id | None = Field(default=None, description="the driver's login (confirms only their own stops)")
    capacidad_max_peso: Decimal = Field(gt=0, max_digits=14, decimal_places=3, description="kg")
    capacidad_max_volumen: Decimal = Field(gt=0, max_digits=14, decimal_places=4, description="m³")
    limite_pedidos_dia: int = Field(default=20, ge=1, le=1000)
    activo: bool = True


class RutaIn(Entrada):
    transportista_id: Id
    fecha: Fecha


class AsignarIn(Entrada):
    pedidos: list[Id] = Field(min_length=1, max_length=500)


class PlanDiaIn(Entrada):
    almacen_id: Id
    fecha: Fecha
    segundos: float = Field(default=2.0, gt=0, le=30, description="solver time limit")


def crear_transportista(session: Session, datos: TransportistaIn) -> Transportista:
    transportista = Transportista(**datos.model_dump())
    session.add(transportista)
    session.commit()
    return transportista


def listar_transportistas(session: Session, pagina: Paginacion, activo: bool | None) -> tuple[list, int]:
    stmt = select(Transportista).order_by(Transportista.id)
    if activo is not None:
        stmt = stmt.where(Transportista.activo.is_(activo))
    return paginar(session, stmt, pagina.limit, pagina.offset)


def crear(session: Session, datos: RutaIn) -> Ruta:
    ruta = _crear(session, datos)
    session.commit()
    return ruta


def _crear(session: Session, datos: RutaIn) -> Ruta:
    transportista = session.get(Transportista, datos.transportista_id)
    if transportista is None or not transportista.activo:
        raise ValidationError("El transportista no existe o está inactivo", field="transportista_id")
    ruta = Ruta(transportista_id=transportista.id, fecha=datos.fecha)
    session.add(ruta)
    session.flush()
    return ruta


def paradas(session: Session, ruta_id: int) -> list[AsignacionPedido]:
    return list(session.execute(select(AsignacionPedido).where(
        AsignacionPedido.ruta_id == ruta_id, AsignacionPedido.estado != "RETIRADA")
        .order_by(AsignacionPedido.orden_entrega, AsignacionPedido.id)).scalars())


def estado_de(session: Session, ruta: Ruta) -> str:
    """The route's state follows its stops: EN_RUTA once one has left or closed, COMPLETADA when all have
    closed. Derived on read rather than written by each order's transaction, which would lock the route after
    the order, the reverse of assignment's order (route, then orders): two dispatchers could deadlock."""
    if ruta.estado == "CANCELADA":
        return ruta.estado
    stops = session.execute(select(AsignacionPedido.estado, Pedido.estado).join(
        Pedido, Pedido.id == AsignacionPedido.pedido_id).where(
        AsignacionPedido.ruta_id == ruta.id, AsignacionPedido.estado != "RETIRADA")).all()
    cerradas = [a == "CERRADA" for a, _ in stops]
    if stops and all(cerradas):
        return "COMPLETADA"
    if any(cerradas) or any(p == "EN_RUTA" for a, p in stops if a == "ACTIVA"):
        return "EN_RUTA"
    return "PLANIFICADA"


def obtener(session: Session, ruta_id: int, user: AuthUser | None = None) -> dict[str, Any]:
    """The route with its stops; with `user`, only if they may read it (a driver: their own vehicle's)."""
    ruta = session.get(Ruta, ruta_id)
    if ruta is None:
        raise NotFound("Ruta no encontrada")
    if user is not None:
        exigir_alcance(session, user, ruta.transportista_id)
    stops = paradas(session, ruta_id)
    ids = [a.pedido_id for a in stops]
    peso, volumen = session.execute(select(func.coalesce(func.sum(Pedido.peso_total), 0),
                                           func.coalesce(func.sum(Pedido.volumen_total), 0))
                                    .where(Pedido.id.in_(ids))).one() if ids else (Decimal(0), Decimal(0))
    return ruta.model_dump() | {"estado": estado_de(session, ruta),
                                "paradas": [a.model_dump(exclude={"otp_hash"}) for a in stops],
                                "peso_total": str(peso), "volumen_total": str(volumen)}


def _carga_del_dia(session: Session, transportista_id: int, fecha: date) -> tuple[Decimal, Decimal, int]:
    """Weight, volume and number of the orders already on the carrier's routes of `fecha`."""
    peso, volumen, n = session.execute(
        select(func.coalesce(func.sum(Pedido.peso_total), 0), func.coalesce(func.sum(Pedido.volumen_total), 0),
               func.count(Pedido.id))
        .join(AsignacionPedido, AsignacionPedido.pedido_id == Pedido.id)
        .join(Ruta, Ruta.id == AsignacionPedido.ruta_id)
        .where(Ruta.transportista_id == transportista_id, Ruta.fecha == fecha,
               AsignacionPedido.estado != "RETIRADA", Ruta.estado != "CANCELADA")).one()
    return Decimal(peso), Decimal(volumen), int(n)


def exigir_capacidad(t: Transportista, peso: Decimal, volumen: Decimal, n: int) -> None:
    limites = (("capacidad_max_peso", peso, t.capacidad_max_peso, "kg"),
               ("capacidad_max_volumen", volumen, t.capacidad_max_volumen, "m³"),
               ("limite_pedidos_dia", Decimal(n), Decimal(t.limite_pedidos_dia), "pedidos"))
    for campo, carga, limite, unidad in limites:
        if carga > limite:
            raise ValidationError(f"Se supera {campo} del transportista {t.placa}: {_num(carga)} {unidad} de "
                                  f"{_num(limite)} (exceso {_num(carga - limite)} {unidad})", field=campo)


def _num(valor: Decimal) -> str:
    return f"{valor.normalize():f}"


def asignar(session: Session, user: AuthUser, ruta_id: int, datos: AsignarIn) -> Ruta:
    ruta = _asignar(session, user, ruta_id, datos)
    session.commit()
    return ruta


def _asignar(session: Session, user: AuthUser, ruta_id: int, datos: AsignarIn) -> Ruta:
    ruta = session.execute(select(Ruta).where(Ruta.id == ruta_id).with_for_update()).scalar_one_or_none()
    if ruta is None:
        raise NotFound("Ruta no encontrada")
    if (estado := estado_de(session, ruta)) != "PLANIFICADA":
        raise Conflict(f"La ruta está {estado}: ya no admite pedidos", field="estado")
    # The carrier's row lock serialises every assignment to its routes, so two dispatchers cannot both fit
    # the last kilos.
    t = session.execute(select(Transportista).where(Transportista.id == ruta.transportista_id)
                        .with_for_update()).scalar_one()
    peso, volumen, n = _carga_del_dia(session, t.id, ruta.fecha)
    almacenes = {a for (a,) in session.execute(select(Pedido.almacen_id).join(
        AsignacionPedido, AsignacionPedido.pedido_id == Pedido.id).where(
        AsignacionPedido.ruta_id == ruta.id, AsignacionPedido.estado != "RETIRADA")).all()}
    orden = len(paradas(session, ruta.id))
    for pedido_id in sorted(set(datos.pedidos)):  # locked in id order: two dispatchers never deadlock
        i = datos.pedidos.index(pedido_id)
        pedido = bloquear(session, pedido_id)
        if pedido.estado != "PENDIENTE":
            raise Conflict(f"El pedido {pedido_id} está {pedido.estado}: solo se asignan pedidos PENDIENTE",
                           field=f"pedidos.{i}")
        if asignacion_activa(session, pedido_id) is not None:
            raise Conflict(f"El pedido {pedido_id} ya está en una ruta activa", field=f"pedidos.{i}")
        almacenes.add(pedido.almacen_id)
        if len(almacenes) > 1:
            raise ValidationError("Todos los pedidos de una ruta salen del mismo almacén", field=f"pedidos.{i}")
        peso, volumen, n = peso + pedido.peso_total, volumen + pedido.volumen_total, n + 1
        exigir_capacidad(t, peso, volumen, n)
        exigir_transicion(pedido, "PLANIFICADO")
        orden += 1
        session.add(AsignacionPedido(ruta_id=ruta.id, pedido_id=pedido.id, orden_entrega=orden))
        pedido.estado = "PLANIFICADO"
        session.add(pedido)
        evento(session, pedido, f"Asignado a la ruta {ruta.id} ({t.placa})", user.id, transportista=t.placa)
    session.flush()
    return ruta


def _inicio(fecha: date) -> datetime:
    zona = ZoneInfo(get_settings().timezone)
    salida = datetime.combine(fecha, HORA_SALIDA, zona)
    return max(salida, datetime.now(UTC).astimezone(zona).replace(microsecond=0))


def _ventana(pedido: Pedido, inicio: datetime) -> tuple[int, int] | None:
    if pedido.ventana_inicio is None and pedido.ventana_fin is None:
        return None
    zona = inicio.tzinfo

    def seg(h: time) -> int:
        return max(0, int((datetime.combine(pedido.fecha_entrega, h, zona) - inicio).total_seconds()))

    return (seg(pedido.ventana_inicio or time(0)), seg(pedido.ventana_fin or time(23, 59)))


def _origen(session: Session, almacen_id: int) -> tuple[float, float]:
    almacen = session.get(Almacen, almacen_id)
    if almacen is None or almacen.latitud is None or almacen.longitud is None:
        raise ValidationError("El almacén de despacho no tiene coordenadas (latitud/longitud)", field="almacen_id")
    return almacen.latitud, almacen.longitud


def _parada(pedido: Pedido, inicio: datetime, campo: str, capacidad: bool = False) -> optimizacion.Parada:
    if pedido.latitud is None or pedido.longitud is None:
        raise ValidationError(f"El pedido {pedido.id} aún no tiene coordenadas ({pedido.geocodificacion})",
                              field=campo)
    carga = (int(pedido.peso_total * 1000), int(pedido.volumen_total * 1_000_000), 1) if capacidad else ()
    return optimizacion.Parada(pedido.id, (pedido.latitud, pedido.longitud), carga, _ventana(pedido, inicio))


def optimizar(session: Session, ruta_id: int, segundos: float) -> Ruta:
    ruta = _optimizar(session, ruta_id, segundos)
    session.commit()
    return ruta


def _optimizar(session: Session, ruta_id: int, segundos: float) -> Ruta:
    ruta = session.execute(select(Ruta).where(Ruta.id == ruta_id).with_for_update()).scalar_one_or_none()
    if ruta is None:
        raise NotFound("Ruta no encontrada")
    stops = {a.pedido_id: a for a in paradas(session, ruta.id) if a.estado == "ACTIVA"}
    if not stops:
        raise ValidationError("La ruta no tiene pedidos", field="pedidos")
    pedidos = [session.get(Pedido, pid) for pid in stops]
    inicio = _inicio(ruta.fecha)
    origen = _origen(session, pedidos[0].almacen_id)
    plan = optimizacion.resolver(origen, [_parada(p, inicio, "pedidos") for p in pedidos],
                                 [optimizacion.Vehiculo(ruta.transportista_id)], segundos)
    recorrido = plan.recorridos[0]
    for orden, (pedido_id, llegada) in enumerate(zip(recorrido.paradas, recorrido.llegadas_s, strict=True), 1):
        a = stops[pedido_id]
        a.orden_entrega, a.eta = orden, (inicio + timedelta(seconds=llegada)).astimezone(UTC)
        session.add(a)
    ruta.distancia_m = recorrido.distancia_m
    session.add(ruta)
    session.flush()
    return ruta


def planificar_dia(session: Session, user: AuthUser, datos: PlanDiaIn) -> dict[str, Any]:
    """The day's unassigned PENDIENTE orders with coordinates, among the active carriers with no route that day.
    One transaction: every route, assignment, event and workflow update of the plan commits together, or
    nothing does (an order taken meanwhile by another dispatcher fails the whole plan, which can be rerun)."""
    pendientes = list(session.execute(select(Pedido).where(
        Pedido.almacen_id == datos.almacen_id, Pedido.fecha_entrega == datos.fecha, Pedido.estado == "PENDIENTE",
        Pedido.latitud.is_not(None)).order_by(Pedido.prioridad, Pedido.id)).scalars())
    ocupados = select(Ruta.transportista_id).where(Ruta.fecha == datos.fecha, Ruta.estado != "CANCELADA")
    flota = list(session.execute(select(Transportista).where(
        Transportista.activo.is_(True), Transportista.id.not_in(ocupados)).order_by(Transportista.id)).scalars())
    if not flota:
        raise ValidationError("No hay transportistas activos libres para la fecha", field="fecha")
    inicio = _inicio(datos.fecha)
    vehiculos = [optimizacion.Vehiculo(t.id, (int(t.capacidad_max_peso * 1000),
                                              int(t.capacidad_max_volumen * 1_000_000), t.limite_pedidos_dia))
                 for t in flota]
    plan = optimizacion.resolver(_origen(session, datos.almacen_id),
                                 [_parada(p, inicio, "pedidos", capacidad=True) for p in pendientes], vehiculos,
                                 datos.segundos, opcionales=True)
    creadas = []
    for recorrido in plan.recorridos:
        ruta = _crear(session, RutaIn(transportista_id=recorrido.vehiculo, fecha=datos.fecha))
        _asignar(session, user, ruta.id, AsignarIn(pedidos=recorrido.paradas))
        _optimizar(session, ruta.id, min(datos.segundos, 1.0))
        creadas.append(obtener(session, ruta.id))
    session.commit()
    return {"rutas": creadas, "sin_asignar": plan.sin_asignar}
