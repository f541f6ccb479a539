"""The GRE remitente of each order on a route (module 4): built from the order, its route's carrier and the
dispatch warehouse, numbered in series T001 (services.numeracion), signed with the company certificate and
stored; then the send / ticket answers of SUNAT's GRE API recorded. Each public function is one transaction;
the HTTP calls to SUNAT happen in the activities, between them (activities/distribucion.py)."""

from dataclasses import dataclass
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
from integrations.storage import get_storage
from integrations.sunat import catalogos as cat
from integrations.sunat import firma
from integrations.sunat.cdr import leer_cdr
from integrations.sunat.documento import Adquirente
from integrations.sunat.gre_client import ACEPTADO, Credenciales, EstadoEnvio
from integrations.sunat.guia import (
    TIPO_GRE,
    Conductor,
    DocumentoRelacionado,
    GuiaRemision,
    LineaGuia,
    Punto,
    construir_guia,
)
from models.distribucion import AsignacionPedido, DetallePedido, Pedido, Ruta, Transportista
from models.distribucion import GuiaRemision as Guia
from models.facturacion import Comprobante
from models.inventario import Almacen, Producto
from models.ventas import Cliente
from services import configuracion as configuracion_srv
from services import facturacion, facturacion_sunat, numeracion
from services.distribucion.pedidos import asignacion_activa, bloquear
from services.notificaciones import notificar

SERIE = "T001"
MOTIVO_VENTA = "01"  # catálogo 20
CATEGORIAS_M1L = ("M1", "L")  # cars and motorcycles: no vehicle or driver on the GRE, the indicator instead
PLANTILLAS = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]))


def _lima() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def requerida(pedido: Pedido) -> bool:
    """Goods the company moves need a GRE; a pickup at the warehouse is moved by the customer."""
    return get_settings().gre_remitente and pedido.tipo_entrega != "RECOJO"


def nombre(ruc: str, guia: Guia) -> str:
    return f"{ruc}-{TIPO_GRE}-{guia.serie}-{guia.numero}"


def _exigir(valor: str, mensaje: str, campo: str) -> str:
    if not valor.strip():
        raise ValidationError(mensaje, field=campo)
    return valor.strip()


def _conductor(t: Transportista) -> Conductor:
    nombres, _, apellidos = t.nombre.strip().partition(" ")
    return Conductor(t.conductor_tipo_doc, t.conductor_documento, nombres, apellidos or "-", t.conductor_licencia)


def _relacionado(session: Session, ruc: str, pedido: Pedido) -> DocumentoRelacionado | None:
    c = session.get(Comprobante, pedido.comprobante_id) if pedido.comprobante_id else None
    return DocumentoRelacionado(c.tipo, f"{c.serie}-{c.numero}", ruc) if c is not None else None


def _documento(session: Session, pedido: Pedido, a: AsignacionPedido, guia: Guia) -> GuiaRemision:
    ruta = session.get(Ruta, a.ruta_id)
    t = session.get(Transportista, ruta.transportista_id)
    cliente = session.get(Cliente, pedido.cliente_id)
    lineas = session.execute(select(DetallePedido, Producto).join(Producto, Producto.id == DetallePedido.producto_id)
                             .where(DetallePedido.pedido_id == pedido.id).order_by(DetallePedido.id)).all()
    ahora = datetime.now(UTC).astimezone(_lima())
    return GuiaRemision(
        serie=guia.serie, numero=guia.numero, fecha_emision=guia.fecha_emision, hora_emision=ahora.time(),
        emisor=facturacion.emisor(session), destinatario=Adquirente(cliente.tipo_doc, cliente.numero_doc,
                                                                     cliente.razon_social),
        motivo_traslado=guia.motivo_traslado, fecha_inicio_traslado=guia.fecha_inicio_traslado,
        peso_bruto=guia.peso_bruto, partida=Punto(guia.ubigeo_partida, guia.direccion_partida),
        llegada=Punto(guia.ubigeo_llegada, guia.direccion_llegada),
        lineas=[LineaGuia(p.sku, p.nombre, d.cantidad, p.unidad_medida) for d, p in lineas],
        modalidad=guia.modalidad, placa=t.placa.replace("-", ""), conductor=_conductor(t),
        vehiculo_m1l=guia.vehiculo_m1l, relacionado=_relacionado(session, guia_ruc(session), pedido))


def guia_ruc(session: Session) -> str:
    return configuracion_srv.obtener(session).ruc


def guia_de(session: Session, asignacion_id: int) -> Guia | None:
    return session.execute(select(Guia).where(Guia.asignacion_id == asignacion_id)).scalar_one_or_none()


def _nueva(pedido: Pedido, a: AsignacionPedido, ruta: Ruta) -> Guia:
    return Guia(pedido_id=pedido.id, asignacion_id=a.id, serie=SERIE, fecha_emision=ruta.fecha,
                fecha_inicio_traslado=ruta.fecha, ubigeo_partida="", direccion_partida="", ubigeo_llegada="",
                direccion_llegada="")


def preparar(session: Session, pedido_id: int) -> int:
    """Build, number, sign and store the GRE of the order's current assignment, once (a retry finds it); the
    guía's id, or 0 when the order needs none (not on a route any more, a pickup, GRE switched off). Data a
    GRE cannot go without raises ValidationError (nothing numbered)."""
    pfx, password = facturacion_sunat.certificado(session)  # first use commits a demo certificate: before the lock
    pedido = bloquear(session, pedido_id)
    a = asignacion_activa(session, pedido_id)
    if a is None or not requerida(pedido) or pedido.estado != "PLANIFICADO":
        return 0
    guia = guia_de(session, a.id)
    if guia is not None and guia.xml_path:
        return guia.id
    ruta = session.get(Ruta, a.ruta_id)
    t = session.get(Transportista, ruta.transportista_id)
    almacen = session.get(Almacen, pedido.almacen_id)
    guia = guia or _nueva(pedido, a, ruta)
    guia.ubigeo_partida = _exigir(almacen.ubigeo, "El almacén de despacho no tiene ubigeo", "almacen.ubigeo")
    guia.direccion_partida = _exigir(almacen.direccion, "El almacén de despacho no tiene dirección",
                                     "almacen.direccion")
    guia.ubigeo_llegada = _exigir(pedido.ubigeo, "El pedido no tiene ubigeo de llegada", "ubigeo")
    guia.direccion_llegada = ", ".join(p for p in (pedido.direccion_entrega, pedido.distrito) if p)[:300]
    guia.motivo_traslado, guia.modalidad = MOTIVO_VENTA, cat.TRANSPORTE_PRIVADO
    guia.vehiculo_m1l = t.categoria_vehiculo in CATEGORIAS_M1L
    guia.placa, guia.conductor_documento = t.placa, t.conductor_documento
    guia.peso_bruto = pedido.peso_total
    guia.fecha_emision = datetime.now(UTC).astimezone(_lima()).date()
    guia.numero = numeracion.siguiente_numero(session, TIPO_GRE, SERIE)
    documento = _documento(session, pedido, a, guia)
    if documento.relacionado is not None:
        guia.comprobante_relacionado = f"{documento.relacionado.tipo} {documento.relacionado.serie_numero}"
    firmado, digest = firma.firmar_xml(construir_guia(documento), pfx, password)
    ruc = guia_ruc(session)
    clave = facturacion_sunat.archivo_una_vez(f"guias/{TIPO_GRE}/{SERIE}/{nombre(ruc, guia)}.xml", lambda: firmado)
    guia.xml_path, guia.hash, guia.estado = clave, digest, "PENDIENTE"
    guia.codigo_respuesta = guia.mensaje_respuesta = ""
    session.add(guia)
    session.commit()
    return guia.id


def registrar_error_datos(session: Session, pedido_id: int, motivo: str) -> None:
    """The GRE could not be built (missing ubigeo, …): an ERROR row tells EN_RUTA why; the dispatcher is told."""
    pedido = bloquear(session, pedido_id)
    a = asignacion_activa(session, pedido_id)
    if a is None:
        return
    guia = guia_de(session, a.id) or _nueva(pedido, a, session.get(Ruta, a.ruta_id))
    guia.estado, guia.mensaje_respuesta = "ERROR", motivo[:500]
    session.add(guia)
    _avisar(session, guia, f"GRE del pedido PED-{pedido_id} no emitida", motivo)
    session.commit()


def _avisar(session: Session, guia: Guia, titulo: str, mensaje: str) -> None:
    notificar(session, "GRE_RECHAZADA", "distribucion", titulo, mensaje, "pedidos", str(guia.pedido_id),
              f"GRE:{guia.asignacion_id}:{guia.estado}")


@dataclass(frozen=True)
class Envio:
    credenciales: Credenciales
    nombre: str
    xml: bytes
    ticket: str
    estado: str


def credenciales(session: Session) -> Credenciales:
    config = configuracion_srv.obtener(session)
    s = get_settings()
    return Credenciales(config.ruc, config.sunat_usuario_sol, config.sunat_clave_sol or "", s.sunat_gre_client_id,
                        s.sunat_gre_client_secret)


def envio(session: Session, guia_id: int) -> Envio:
    guia = session.get(Guia, guia_id)
    if guia is None:
        raise NotFound("Guía de remisión no encontrada")
    c = credenciales(session)
    xml = get_storage().get(guia.xml_path) if guia.xml_path else b""
    return Envio(c, nombre(c.ruc, guia), xml, guia.ticket, guia.estado)


def registrar_envio(session: Session, guia_id: int, ticket: str) -> None:
    guia = session.execute(select(Guia).where(Guia.id == guia_id).with_for_update()).scalar_one()
    if guia.estado == "PENDIENTE":
        guia.estado, guia.ticket, guia.enviado_at = "ENVIADA", ticket, datetime.now(UTC)
        session.add(guia)
    session.commit()


def registrar_respuesta(session: Session, guia_id: int, r: EstadoEnvio) -> str:
    """SUNAT's final answer on the ticket: the CDR stored, ACEPTADA or RECHAZADA with its code and reason."""
    guia = session.execute(select(Guia).where(Guia.id == guia_id).with_for_update()).scalar_one()
    if guia.estado in ("ACEPTADA", "RECHAZADA"):
        session.commit()
        return guia.estado
    if r.cdr:
        ruc = guia_ruc(session)
        guia.cdr_path = facturacion_sunat.archivo_una_vez(
            f"guias/{TIPO_GRE}/{guia.serie}/R-{nombre(ruc, guia)}.zip", lambda: r.cdr)
    if r.codigo == ACEPTADO:
        guia.estado, guia.codigo_respuesta = "ACEPTADA", "0"
        guia.mensaje_respuesta = leer_cdr(r.cdr).descripcion[:500] if r.cdr else "Aceptada"
    else:
        guia.estado, guia.codigo_respuesta, guia.mensaje_respuesta = "RECHAZADA", r.error_codigo, r.error_mensaje[:500]
        _avisar(session, guia, f"SUNAT rechazó la GRE {guia.serie}-{guia.numero} (PED-{guia.pedido_id})",
                f"{r.error_codigo}: {r.error_mensaje}")
    guia.respondido_at = datetime.now(UTC)
    session.add(guia)
    session.commit()
    return guia.estado


def registrar_fallo(session: Session, guia_id: int, estado: str, codigo: str, motivo: str) -> str:
    """SUNAT refused the file outright (RECHAZADA with its code) or the SOL credentials (ERROR)."""
    guia = session.execute(select(Guia).where(Guia.id == guia_id).with_for_update()).scalar_one()
    guia.estado, guia.codigo_respuesta, guia.mensaje_respuesta = estado, codigo[:10], motivo[:500]
    guia.respondido_at = datetime.now(UTC)
    session.add(guia)
    _avisar(session, guia, f"GRE {guia.serie}-{guia.numero} (PED-{guia.pedido_id}) no aceptada", motivo)
    session.commit()
    return estado


# --- reads ------------------------------------------------------------------------------------------------


def obtener(session: Session, guia_id: int) -> Guia:
    guia = session.get(Guia, guia_id)
    if guia is None:
        raise NotFound("Guía de remisión no encontrada")
    return guia


def del_pedido(session: Session, pedido_id: int) -> Guia:
    """The order's latest GRE."""
    guia = session.execute(select(Guia).where(Guia.pedido_id == pedido_id).order_by(Guia.id.desc())
                           .limit(1)).scalar_one_or_none()
    if guia is None:
        raise NotFound("El pedido no tiene guía de remisión")
    return guia


def archivo(session: Session, guia_id: int, tipo: str) -> tuple[bytes, str]:
    """The signed XML or the CDR zip: (content, file name)."""
    guia = obtener(session, guia_id)
    ruta = guia.xml_path if tipo == "xml" else guia.cdr_path
    if not ruta:
        raise NotFound("La guía aún no tiene ese archivo" if tipo == "cdr" else "La guía aún no se ha emitido")
    return get_storage().get(ruta), Path(ruta).name


def texto_qr(ruc: str, guia: Guia, destinatario: Cliente) -> str:
    """RUC|09|SERIE|NUMERO|FECHA|TIPO DOC DESTINATARIO|NUM DOC DESTINATARIO|HASH| (the comprobantes' QR layout)."""
    return (f"{ruc}|{TIPO_GRE}|{guia.serie}|{guia.numero}|{guia.fecha_emision:%Y-%m-%d}|{destinatario.tipo_doc}|"
            f"{destinatario.numero_doc}|{guia.hash}|")


def pdf(session: Session, guia_id: int) -> bytes:
    guia = obtener(session, guia_id)
    if guia.numero is None:
        raise NotFound("La guía aún no se ha emitido")
    pedido = session.get(Pedido, guia.pedido_id)
    a = session.get(AsignacionPedido, guia.asignacion_id)
    documento = _documento(session, pedido, a, guia)
    cliente = session.get(Cliente, pedido.cliente_id)
    ruc = documento.emisor.ruc
    html = PLANTILLAS.get_template("guia_remision.html").render(
        g=documento, guia=guia, motivo=cat.CAT_20_MOTIVO_TRASLADO.get(guia.motivo_traslado, ""),
        modalidad=cat.CAT_18_MODALIDAD_TRASLADO.get(guia.modalidad, ""),
        qr=segno.make(texto_qr(ruc, guia, cliente), error="m").svg_data_uri(scale=3, border=1))
    salida = HTML(string=html).render()
    salida.metadata.title = f"Guía de remisión {guia.serie}-{guia.numero}"
    salida.metadata.created = salida.metadata.modified = datetime.combine(
        guia.fecha_emision, datetime.min.time(), UTC).isoformat()
    return salida.write_pdf()

