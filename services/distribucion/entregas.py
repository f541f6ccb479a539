"""Proof of delivery (module 4): at least one valid piece of evidence — a photo, a signature (image or vector
strokes) or the customer's OTP — then, in one transaction, the reservation becomes a definitive exit (VENTA
kardex rows), the order is ENTREGADO with an event at the confirmation's GPS fix, and the workflow is told."""

import hmac
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PIL import Image
from sqlmodel import Session

from core.errors import Conflict, FieldError, Forbidden, ValidationError
from integrations.storage import get_storage
from models.distribucion import AsignacionPedido, Pedido, Ruta, Transportista
from models.inventario import Producto
from models.ventas import Cliente
from services import facturacion, stock
from services.auth import AuthUser
from services.distribucion import avisos, optimizacion
from services.distribucion.pedidos import (
    asignacion_activa,
    bloquear,
    error_punto,
    evento,
    exigir_transicion,
    lineas,
)
from services.permisos import tiene_permiso

MAX_IMAGEN = 5 * 1024 * 1024
LEJOS_M = 300  # a confirmation farther than this from the delivery point is flagged
MAX_PIXELES = 40_000_000  # a 40 MP phone camera; more is no delivery photo (and would take memory to decode)
FORMATOS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


@dataclass(frozen=True)
class Evidencia:
    foto: bytes | None = None
    firma: bytes | None = None  # an image, or JSON strokes [[[x, y], ...], ...]
    otp: str | None = None
    trazos: str | None = None  # the signature drawn on the driver's page, as JSON strokes
    latitud: float | None = None
    longitud: float | None = None


def tipo_imagen(datos: bytes) -> str | None:
    """The image's format by its content (never by the file name or the client's content type): it must decode
    as a whole JPEG, PNG or WebP of at most MAX_PIXELES (a small file may declare a huge image)."""
    try:
        with Image.open(io.BytesIO(datos)) as imagen:
            formato = FORMATOS.get(imagen.format or "")
            if formato is None or imagen.width * imagen.height > MAX_PIXELES:
                return None
            imagen.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):  # what Pillow raises on bad data
        return None
    return formato


def _imagen(datos: bytes, campo: str, errores: list[FieldError]) -> str | None:
    if len(datos) > MAX_IMAGEN:
        errores.append(FieldError(campo, f"supera {MAX_IMAGEN // (1024 * 1024)} MB"))
        return None
    tipo = tipo_imagen(datos)
    if tipo is None:
        errores.append(FieldError(campo, "no es una imagen JPEG, PNG o WebP"))
    return tipo


def _trazos(datos: bytes) -> bool:
    try:
        trazos = json.loads(datos)
    except (ValueError, UnicodeDecodeError):
        return False
    return (isinstance(trazos, list) and 0 < len(trazos) <= 500 and any(len(t) >= 2 for t in trazos)
            and all(isinstance(t, list) and all(isinstance(p, list) and len(p) == 2 and
                                                all(isinstance(c, int | float) for c in p) for p in t)
                    for t in trazos))


def _otp_valido(a: AsignacionPedido, codigo: str, errores: list[FieldError]) -> bool:
    if not a.otp_hash or a.otp_expira is None:
        errores.append(FieldError("otp", "no se ha enviado un código para esta entrega"))
    elif a.otp_intentos >= avisos.OTP_INTENTOS:
        errores.append(FieldError("otp", "se agotaron los intentos del código"))
    elif a.otp_expira < datetime.now(UTC):
        errores.append(FieldError("otp", "el código expiró"))
    elif not hmac.compare_digest(a.otp_hash, avisos.hash_otp(a.id, codigo)):
        a.otp_intentos += 1
        errores.append(FieldError("otp", f"código incorrecto ({avisos.OTP_INTENTOS - a.otp_intentos} intentos "
                                         "restantes)"))
    else:
        return True
    return False


def _exigir_conductor(session: Session, user: AuthUser, a: AsignacionPedido) -> None:
    """The driver confirms only the stops of their own routes; dispatchers (confirmar_todas) any."""
    if tiene_permiso(session, user.rol_id, "distribucion", "confirmar_todas"):
        return
    t = session.get(Transportista, session.get(Ruta, a.ruta_id).transportista_id)
    if t.usuario_id != user.id:
        raise Forbidden("Solo el transportista de la ruta confirma esta entrega")


def confirmar(session: Session, user: AuthUser, pedido_id: int, ev: Evidencia) -> Pedido:
    if error := error_punto(ev.latitud, ev.longitud):  # a device's (0, 0) default or half a fix
        raise ValidationError(f"Posición de la confirmación: {error}",
                              field="longitud" if ev.longitud is None else "latitud")
    pedido = bloquear(session, pedido_id)
    a = asignacion_activa(session, pedido_id)
    if pedido.estado != "EN_RUTA" or a is None:
        raise Conflict(f"El pedido está {pedido.estado}: solo se confirma la entrega de un pedido EN_RUTA",
                       field="estado")
    _exigir_conductor(session, user, a)
    errores: list[FieldError] = []
    archivos: dict[str, tuple[bytes, str]] = {}
    if ev.foto is not None and (tipo := _imagen(ev.foto, "foto", errores)):
        archivos["foto"] = (ev.foto, tipo)
    if ev.trazos is not None:
        if _trazos(ev.trazos.encode()):
            archivos["firma"] = (ev.trazos.encode(), "json")
        else:
            errores.append(FieldError("firma_trazos", "no son trazos [[[x, y], ...], ...] con al menos 2 puntos"))
    elif ev.firma is not None:
        if _trazos(ev.firma):
            archivos["firma"] = (ev.firma, "json")
        elif (tipo := _imagen(ev.firma, "firma", errores)):
            archivos["firma"] = (ev.firma, tipo)
    otp_ok = ev.otp is not None and _otp_valido(a, ev.otp, errores)
    if not archivos and not otp_ok:
        if a.otp_intentos:  # a failed attempt counts even though nothing else is written
            session.add(a)
            session.commit()
        raise ValidationError("Se requiere al menos una evidencia válida: foto, firma u OTP",
                              errors=errores or [FieldError("evidencia", "sin foto, firma ni OTP")])
    ahora = datetime.now(UTC)
    for nombre, (datos, ext) in archivos.items():
        clave = f"entregas/{pedido.id}/{a.id}-{nombre}.{ext}"
        get_storage().put(clave, datos)
        if nombre == "foto":
            a.evidencia_foto_url = clave
        else:
            a.firma_digital = clave
    a.otp_verificado = otp_ok
    if ev.latitud is not None and ev.longitud is not None:
        a.latitud_confirmacion, a.longitud_confirmacion = ev.latitud, ev.longitud
        if pedido.latitud is not None:
            a.lejos_del_destino = optimizacion.haversine_m(
                (ev.latitud, ev.longitud), (pedido.latitud, pedido.longitud)) > LEJOS_M
    a.estado, a.confirmado_at = "CERRADA", ahora
    session.add(a)
    _salida_definitiva(session, user, pedido)
    exigir_transicion(pedido, "ENTREGADO")
    pedido.estado = "ENTREGADO"
    session.add(pedido)
    evidencias = ", ".join([*archivos, *(["otp"] if otp_ok else [])])
    evento(session, pedido, f"Entregado ({evidencias})" + (" lejos del destino" if a.lejos_del_destino else ""),
           user.id, ev.latitud, ev.longitud)
    session.commit()
    return pedido


def _salida_definitiva(session: Session, user: AuthUser, pedido: Pedido) -> None:
    movimientos: list[dict[str, Any]] = []
    detalle = lineas(session, pedido.id)
    for i, d in sorted(enumerate(detalle), key=lambda x: x[1].producto_id):
        saldo = stock.despachar_reserva(session, d.producto_id, pedido.almacen_id, d.cantidad)
        if saldo is None:
            raise ValidationError("El stock reservado no cubre la línea", field=f"lineas.{i}.cantidad")
        stock.alertar_si_bajo(session, saldo, d.producto_id, pedido.almacen_id)
        movimientos.append({"producto_id": d.producto_id, "almacen_id": pedido.almacen_id, "tipo_movimiento": "VENTA",
                            "cantidad": -d.cantidad, "motivo": "Entrega de pedido", "usuario_id": user.id,
                            "referencia_doc": f"pedido-{pedido.id}"})
    stock.registrar_movimientos(session, movimientos)


def facturar(session: Session, pedido_id: int) -> int | None:
    """After delivery, the order's comprobante (factura for a RUC, else boleta) through module 3's one path:
    numbered from the company's series, written and its EmitirComprobante workflow requested, in this
    transaction. Idempotent: an order already invoiced returns its comprobante."""
    pedido = bloquear(session, pedido_id)
    if pedido.estado != "ENTREGADO" or pedido.comprobante_id is not None:
        return pedido.comprobante_id
    cliente = session.get(Cliente, pedido.cliente_id)
    lineas_sunat = []
    for d in lineas(session, pedido.id):
        producto = session.get(Producto, d.producto_id)
        lineas_sunat.append(facturacion.LineaDatos(
            codigo_producto=producto.sku, descripcion=producto.nombre, cantidad=d.cantidad,
            precio_unitario=d.precio if producto.precio_incluye_igv else None,
            valor_unitario=None if producto.precio_incluye_igv else d.precio, unidad_medida=producto.unidad_medida,
            afectacion_igv=producto.afectacion_igv, codigo_detraccion=producto.codigo_detraccion))
    datos = facturacion.DatosEmision(cliente=facturacion.ClienteDatos(
        cliente.tipo_doc, cliente.numero_doc, cliente.razon_social, cliente.direccion, cliente.email, cliente.pais),
        lineas=lineas_sunat)
    comprobante = facturacion.registrar_emision(session, datos)
    pedido.comprobante_id = comprobante.id
    session.add(pedido)
    session.commit()
    return comprobante.id
