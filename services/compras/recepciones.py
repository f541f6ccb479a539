"""Receptions of an APROBADA/PARCIAL purchase order, in one transaction: the reception and its lines, an ENTRADA
stock movement per accepted line through services/stock (referencia_doc = the OC), lots of traceable
products, incidents, the OC lines' received quantities and the OC's state, and the warehouse's weighted
average cost (with its 20111/6111 entry) through services/finanzas. Incidents are e-mailed to the supplier
afterwards by a workflow started through the outbox. Closing cancels what was not received."""

import hashlib
from decimal import Decimal
from typing import Literal

from pydantic import Field
from sqlalchemy import select
from sqlmodel import Session

from core import audit
from core.db import get_or_404
from core.errors import ValidationError
from core.outbox import request_workflow
from core.schemas import Entrada, Fecha, Id
from integrations.storage import get_storage
from models.compras import DetalleOrdenCompra, DetalleRecepcion, IncidenciaCompra, OrdenCompra, Proveedor, Recepcion
from models.inventario import Almacen, Producto
from services import finanzas, stock
from services.compras import ordenes
from services.finanzas.asientos import CERO, hoy
from workflows.entradas import IncidenciasRecepcion

CIEN = Decimal("100")


class LineaRecepcionIn(Entrada):
    detalle_orden_id: Id
    cantidad_recibida: Decimal = Field(ge=0, max_digits=14, decimal_places=3)
    estado_item: Literal["CONFORME", "DAÑADO", "FALTANTE", "EXCEDENTE"] = "CONFORME"
    cantidad_danada: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=3,
                                     description="DAÑADO: units received damaged (they do not enter stock)")
    observacion: str = Field(default="", max_length=300)
    numero_lote: str | None = Field(default=None, min_length=1, max_length=50)
    numero_serie: str | None = Field(default=None, min_length=1, max_length=80)
    fecha_vencimiento: Fecha | None = None


class RecepcionIn(Entrada):
    orden_id: Id
    observacion: str = Field(default="", max_length=500)
    lineas: list[LineaRecepcionIn] = Field(min_length=1, max_length=500)


def _pendiente(d: DetalleOrdenCompra) -> Decimal:
    return max(CERO, Decimal(d.cantidad) - Decimal(d.cantidad_recibida) - Decimal(d.cantidad_cancelada))


def _incidencia(linea: LineaRecepcionIn, esperada: Decimal, campo: str) -> tuple[str, Decimal] | None:
    """(tipo, cantidad afectada) of a line, checked against what it says it is."""
    recibida = linea.cantidad_recibida
    if recibida > esperada:
        return "EXCEDENTE", recibida - esperada
    if linea.estado_item == "EXCEDENTE":
        raise ValidationError("EXCEDENTE: se recibió más de lo esperado", field=f"{campo}estado_item")
    if linea.estado_item == "DAÑADO":
        if not 0 < linea.cantidad_danada <= recibida:
            raise ValidationError("DAÑADO: indique cantidad_danada (mayor que 0 y hasta lo recibido)",
                                  field=f"{campo}cantidad_danada")
        return "DAÑADO", linea.cantidad_danada
    if linea.cantidad_danada:
        raise ValidationError("cantidad_danada solo aplica a estado_item DAÑADO", field=f"{campo}cantidad_danada")
    if linea.estado_item == "FALTANTE":
        if recibida >= esperada:
            raise ValidationError("FALTANTE: lo recibido no es menor que lo esperado", field=f"{campo}estado_item")
        return "FALTANTE", esperada - recibida
    return None


def registrar(session: Session, usuario_id: int, datos: RecepcionIn) -> Recepcion:
    orden = ordenes.bloquear(session, datos.orden_id)
    ordenes.exigir_estado(orden, "recibir", *ordenes.RECIBIBLES)
    config = ordenes.configuracion(session)
    detalle = {d.id: d for d in ordenes.detalle(session, orden.id)}
    almacen = session.get(Almacen, orden.almacen_destino_id)
    recepcion = Recepcion(orden_id=orden.id, usuario_id=usuario_id, observacion=datos.observacion)
    session.add(recepcion)
    session.flush()
    referencia = f"oc-{orden.id}"
    vistos: set[int] = set()
    movimientos, incidencias = [], []
    for i, linea in enumerate(datos.lineas):
        campo = f"lineas.{i}."
        d = detalle.get(linea.detalle_orden_id)
        if d is None:
            raise ValidationError(f"La línea {linea.detalle_orden_id} no es de la OC {orden.id}",
                                  field=f"{campo}detalle_orden_id")
        if d.id in vistos:
            raise ValidationError("Cada línea de la OC va una vez por recepción", field=f"{campo}detalle_orden_id")
        vistos.add(d.id)
        esperada = _pendiente(d)
        limite = Decimal(d.cantidad) * (1 + Decimal(config.tolerancia_recepcion_pct) / CIEN)
        if Decimal(d.cantidad_recibida) + linea.cantidad_recibida > limite:
            raise ValidationError(
                f"Se recibiría {Decimal(d.cantidad_recibida) + linea.cantidad_recibida} de {d.cantidad} pedidas: "
                f"supera la tolerancia de {config.tolerancia_recepcion_pct} %", field=f"{campo}cantidad_recibida")
        incidencia = _incidencia(linea, esperada, campo)
        aceptada = linea.cantidad_recibida - (incidencia[1] if incidencia and incidencia[0] == "DAÑADO" else CERO)
        producto = session.get(Producto, d.producto_id)
        codigo = stock.CodigoLote(linea.numero_lote, linea.numero_serie, linea.fecha_vencimiento)
        lote_id = None
        costo = Decimal(d.precio_unitario) * Decimal(orden.tipo_cambio)
        if aceptada > 0:
            stock.exigir_lote(producto.trazabilidad, codigo, aceptada, campo)
            stock.sumar(session, d.producto_id, almacen.id, aceptada)
            if producto.trazabilidad:
                lote_id = stock.ingresar_lote(session, d.producto_id, almacen.id, codigo, aceptada, campo)
            movimientos.append({"producto_id": d.producto_id, "almacen_id": almacen.id, "tipo_movimiento": "ENTRADA",
                                "cantidad": aceptada, "motivo": f"Recepción R-{recepcion.id} de OC-{orden.id}",
                                "usuario_id": usuario_id, "lote_id": lote_id, "referencia_doc": referencia,
                                "almacen_destino_id": almacen.id})
            finanzas.registrar_ingreso_costeado(session, d.producto_id, almacen.id, aceptada, costo,
                                                f"{referencia} R-{recepcion.id}", usuario_id, almacen.sucursal_id,
                                                hoy())
        d.cantidad_recibida = Decimal(d.cantidad_recibida) + aceptada
        session.add(d)
        estado_item = incidencia[0] if incidencia else "CONFORME"
        session.add(DetalleRecepcion(
            recepcion_id=recepcion.id, detalle_orden_id=d.id, producto_id=d.producto_id, lote_id=lote_id,
            cantidad_esperada=esperada, cantidad_recibida=linea.cantidad_recibida, cantidad_aceptada=aceptada,
            costo_unitario_pen=costo, estado_item=estado_item, observacion=linea.observacion))
        if incidencia:
            incidencias.append(IncidenciaCompra(recepcion_id=recepcion.id, producto_id=d.producto_id,
                                                tipo_incidencia=incidencia[0], cantidad_afectada=incidencia[1],
                                                descripcion=linea.observacion or f"{incidencia[0]} en la recepción"))
    stock.registrar_movimientos(session, movimientos)
    session.add_all(incidencias)
    orden.estado = "RECIBIDA" if all(_pendiente(d) == 0 for d in detalle.values()) else "PARCIAL"
    session.add(orden)
    if incidencias:
        recepcion.estado = "CON_INCIDENCIAS"
        session.add(recepcion)
        request_workflow(session, "NotificarIncidencias", f"incidencias-recepcion-{recepcion.id}",
                         IncidenciasRecepcion(recepcion.id), search_attributes={
                             "Documento": ordenes.documento(orden.id), "Estado": "CON_INCIDENCIAS",
                             "Ruc": session.get(Proveedor, orden.proveedor_id).ruc})
    session.commit()
    return recepcion


def cerrar(session: Session, recepcion_id: int) -> OrdenCompra:
    """Close the reception's OC: what was not received is cancelled and the OC becomes CERRADA."""
    recepcion = obtener(session, recepcion_id)
    orden = ordenes.bloquear(session, recepcion.orden_id)
    ordenes.exigir_estado(orden, "cerrar", "PARCIAL", "RECIBIDA")
    cancelado = {}
    for d in ordenes.detalle(session, orden.id):
        pendiente = _pendiente(d)
        if pendiente:
            d.cantidad_cancelada = Decimal(d.cantidad_cancelada) + pendiente
            cancelado[d.id] = pendiente
            session.add(d)
    orden.estado = "CERRADA"
    session.add(orden)
    audit.record(session, "compras", "cerrar", "ordenes_compra", str(orden.id),
                 {"recepcion_id": recepcion.id, "cancelado": cancelado})
    session.commit()
    return orden


def obtener(session: Session, recepcion_id: int) -> Recepcion:
    return get_or_404(session, Recepcion, recepcion_id, "Recepción no encontrada")


def detalle(session: Session, recepcion_id: int) -> list[DetalleRecepcion]:
    return list(session.execute(select(DetalleRecepcion).where(DetalleRecepcion.recepcion_id == recepcion_id)
                                .order_by(DetalleRecepcion.id)).scalars())


def incidencias(session: Session, recepcion_id: int) -> list[IncidenciaCompra]:
    return list(session.execute(select(IncidenciaCompra).where(IncidenciaCompra.recepcion_id == recepcion_id)
                                .order_by(IncidenciaCompra.id)).scalars())


def correo_incidencias(session: Session, recepcion_id: int) -> tuple[list[str], str, str, list[int]]:
    """To, subject, body and the ids of the incidents of a reception not yet notified to the supplier."""
    recepcion = obtener(session, recepcion_id)
    orden = session.get(OrdenCompra, recepcion.orden_id)
    proveedor = session.get(Proveedor, orden.proveedor_id)
    pendientes = [i for i in incidencias(session, recepcion_id) if not i.notificado_proveedor]
    productos = {p.id: p for p in session.execute(select(Producto).where(
        Producto.id.in_([i.producto_id for i in pendientes]))).scalars()}
    lineas = "\n".join(f"- {i.tipo_incidencia}: {productos[i.producto_id].sku} {productos[i.producto_id].nombre}, "
                       f"cantidad {i.cantidad_afectada}. {i.descripcion}" for i in pendientes)
    asunto = f"Incidencias en la recepción R-{recepcion.id} de la orden de compra {ordenes.documento(orden.id)}"
    cuerpo = (f"Señores {proveedor.razon_social} (RUC {proveedor.ruc}):\n\nEn la recepción R-{recepcion.id} de la "
              f"{ordenes.documento(orden.id)} registramos:\n{lineas}\n\nPor favor, coordinen la reposición o la nota "
              f"de crédito.\n")
    return ([proveedor.email] if proveedor.email else []), asunto, cuerpo, [i.id for i in pendientes]


def marcar_notificadas(session: Session, ids: list[int]) -> None:
    for incidencia in session.execute(select(IncidenciaCompra).where(IncidenciaCompra.id.in_(ids))).scalars():
        incidencia.notificado_proveedor = True
        session.add(incidencia)
    session.commit()


FOTOS = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png", b"RIFF": "webp"}
MAX_FOTO = 5 * 1024 * 1024


def guardar_foto(session: Session, recepcion_id: int, detalle_id: int, contenido: bytes) -> DetalleRecepcion:
    """The photo of a received line (JPEG, PNG or WebP, up to 5 MiB) into storage; its key on the line and, when
    the line has an incident, as the incident's evidence."""
    obtener(session, recepcion_id)
    linea = session.get(DetalleRecepcion, detalle_id)
    if linea is None or linea.recepcion_id != recepcion_id:
        raise ValidationError(f"La línea {detalle_id} no es de la recepción {recepcion_id}", field="detalle_id")
    if len(contenido) > MAX_FOTO:
        raise ValidationError("La foto supera 5 MiB", field="archivo")
    extension = next((ext for firma, ext in FOTOS.items() if contenido.startswith(firma)), None)
    if extension is None:
        raise ValidationError("La foto debe ser JPEG, PNG o WebP", field="archivo")
    clave = f"compras/recepciones/{recepcion_id}/{detalle_id}-{hashlib.sha256(contenido).hexdigest()[:16]}.{extension}"
    get_storage().put(clave, contenido)
    linea.foto_url = clave
    session.add(linea)
    for incidencia in incidencias(session, recepcion_id):
        if incidencia.producto_id == linea.producto_id:
            incidencia.evidencia_url = clave
            session.add(incidencia)
    session.commit()
    return linea
