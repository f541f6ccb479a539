"""The route sheet (PDF, weasyprint): the stops in visiting order with client, address, items, weight, ETA
(Lima time) and a QR per order opening its delivery confirmation for the driver."""

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlmodel import Session
from weasyprint import HTML

from core.errors import NotFound, ValidationError
from core.settings import get_settings
from models.distribucion import DetallePedido, Pedido, Ruta, Transportista
from models.inventario import Almacen, Producto
from models.ventas import Cliente
from services.distribucion.rutas import paradas

PLANTILLAS = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]))


def enlace_confirmacion(pedido_id: int) -> str:
    """The driver's confirmation page (served by the API; it posts to /api/entregas/{id}/confirmar/)."""
    return f"{get_settings().public_base_url.rstrip('/')}/entregas/{pedido_id}/confirmar"


def generar(session: Session, ruta_id: int) -> bytes:
    ruta = session.get(Ruta, ruta_id)
    if ruta is None:
        raise NotFound("Ruta no encontrada")
    stops = paradas(session, ruta_id)
    if not stops:
        raise ValidationError("La ruta no tiene pedidos", field="pedidos")
    zona = ZoneInfo(get_settings().timezone)
    filas, peso = [], 0
    almacen = None
    for a in stops:
        pedido = session.get(Pedido, a.pedido_id)
        almacen = almacen or session.get(Almacen, pedido.almacen_id)
        lineas = session.execute(select(DetallePedido, Producto.nombre).join(
            Producto, Producto.id == DetallePedido.producto_id).where(DetallePedido.pedido_id == pedido.id)).all()
        ventana = (f"{pedido.ventana_inicio or '00:00'}–{pedido.ventana_fin or '23:59'}"
                   if pedido.ventana_inicio or pedido.ventana_fin else "")
        filas.append({"orden": a.orden_entrega, "pedido_id": pedido.id, "cliente": session.get(
            Cliente, pedido.cliente_id).razon_social, "direccion": pedido.direccion_entrega,
            "distrito": pedido.distrito, "notas": pedido.notas, "ventana": ventana,
            "articulos": [f"{d.cantidad.normalize():f} × {nombre}" for d, nombre in lineas],
            "peso": f"{pedido.peso_total.normalize():f}", "eta": a.eta.astimezone(zona).strftime("%H:%M") if a.eta
            else "—", "qr": segno.make(enlace_confirmacion(pedido.id), error="m").svg_data_uri(scale=3, border=1)})
        peso += pedido.peso_total
    html = PLANTILLAS.get_template("hoja_ruta.html").render(
        ruta=ruta, t=session.get(Transportista, ruta.transportista_id), almacen=almacen, paradas=filas,
        km=(ruta.distancia_m or 0) / 1000, peso=f"{peso.normalize():f}")
    pdf = HTML(string=html).render()
    pdf.metadata.created = pdf.metadata.modified = datetime.combine(ruta.fecha, datetime.min.time(), UTC).isoformat()
    pdf.metadata.title = f"Hoja de ruta {ruta.id}"
    return pdf.write_pdf()
