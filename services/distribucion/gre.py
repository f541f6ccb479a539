"""The GRE remitente of each order on a route (module 4): built from the order, its route's carrier and the
dispatch warehouse, numbered in series T001 (services.numeracion), signed with the company certificate and
stored; then the send / ticket answers of SUNAT's GRE API recorded. Each public function is one transaction;
the HTTP calls to SUNAT happen in the activities, between them (activities/distribucion.py)."""

import hashlib
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import Field
from sqlalchemy import select
from sqlmodel import Session
from weasyprint import HTML

from core.errors import Conflict, NotFound, ValidationError
from core.schemas import Entrada
from core.settings import get_settings
from integrations.storage import get_storage
from integrations.sunat import catalogos as cat
from integrations.sunat import firma
from integrations.sunat.cdr import CdrInvalido, ClaseCodigo, clasificar_codigo, extraer_xml_de_zip, leer_cdr
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
from integrations.sunat.see_client import CODIGOS_YA_REGISTRADO
from models.distribucion import AsignacionPedido, DetallePedido, Pedido, Ruta, Transportista
from models.distribucion import GuiaRemision as Guia
from models.facturacion import Comprobante
from models.inventario import Almacen, Producto
from models.ventas import Cliente
from services import configuracion as configuracion_srv
from services import facturacion, facturacion_sunat, numeracion
from services.distribucion import gre_baja
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
    """The assignment's latest guía (a rejected one stays beside its re-send)."""
    return session.execute(select(Guia).where(Guia.asignacion_id == asignacion_id).order_by(Guia.id.desc())
                           .limit(1)).scalar_one_or_none()


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
    return _construir(session, pedido, a, guia or _nueva(pedido, a, session.get(Ruta, a.ruta_id)), pfx, password)


def rehacer(session: Session, guia_id: int) -> int:
    """The dispatcher fixed the data of a RECHAZADA or ERROR guía: rebuild, re-sign and store it for sending;
    the new guía's id (0 when the order is no longer to be sent under a GRE). A rejected guía's number is burnt
    (SUNAT registered it with its CDR; "cuando se obtiene un CDR, sea rechazado o aceptado, el correlativo ya no
    se puede usar", thegreenter/greenter#35), so it stays RECHAZADA and the re-send is a new guía under the next
    number; an ERROR guía never reached SUNAT (data or credentials), so it is rebuilt in place, keeping its
    number if it had one. Idempotent: a retry finds the guía it built."""
    pfx, password = facturacion_sunat.certificado(session)
    anterior = obtener(session, guia_id)
    pedido = bloquear(session, anterior.pedido_id)
    a = asignacion_activa(session, pedido.id)
    if a is None or a.id != anterior.asignacion_id or not requerida(pedido) or pedido.estado != "PLANIFICADO":
        return 0
    guia = guia_de(session, a.id)
    if guia.id != anterior.id:  # already rebuilt (a retry of this activity)
        return guia.id
    if guia.estado == "RECHAZADA":
        guia = _nueva(pedido, a, session.get(Ruta, a.ruta_id))
    elif guia.estado == "ERROR" and not guia.ticket:
        guia.xml_path = ""
    elif guia.estado == "ERROR":  # credentials refused while polling: the file is at SUNAT, poll its ticket again
        guia.estado, guia.codigo_respuesta, guia.mensaje_respuesta = "ENVIADA", "", ""
        session.add(guia)
        session.commit()
        return guia.id
    else:
        return guia.id
    return _construir(session, pedido, a, guia, pfx, password)


def _construir(session: Session, pedido: Pedido, a: AsignacionPedido, guia: Guia, pfx: bytes, password: str) -> int:
    ruta = session.get(Ruta, a.ruta_id)
    t = session.get(Transportista, ruta.transportista_id)
    almacen = session.get(Almacen, pedido.almacen_id)
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
    if guia.numero is None:  # an ERROR guía rebuilt keeps the number SUNAT never saw
        guia.numero = numeracion.siguiente_numero(session, TIPO_GRE, SERIE)
    documento = _documento(session, pedido, a, guia)
    if documento.relacionado is not None:
        guia.comprobante_relacionado = f"{documento.relacionado.tipo} {documento.relacionado.serie_numero}"
    firmado, digest = firma.firmar_xml(construir_guia(documento), pfx, password)
    guia.xml_path, guia.hash, guia.estado = _guardar_xml(nombre(guia_ruc(session), guia), firmado), digest, "PENDIENTE"
    guia.codigo_respuesta = guia.mensaje_respuesta = ""
    session.add(guia)
    session.commit()
    return guia.id


def _guardar_xml(nombre_cpe: str, firmado: bytes) -> str:
    """The signed XML's storage key; a guía rebuilt under the same number (or a build retried after a crash)
    gets a key of its own, so the stored file is always the one whose digest the row holds."""
    clave = f"guias/{TIPO_GRE}/{SERIE}/{nombre_cpe}.xml"
    if get_storage().exists(clave):
        clave = f"guias/{TIPO_GRE}/{SERIE}/{nombre_cpe}.{hashlib.sha256(firmado).hexdigest()[:12]}.xml"
    return facturacion_sunat.archivo_una_vez(clave, lambda: firmado)


def registrar_error_datos(session: Session, pedido_id: int, motivo: str) -> None:
    """The GRE could not be built (missing ubigeo, …): an ERROR row tells EN_RUTA why; the dispatcher is told."""
    pedido = bloquear(session, pedido_id)
    a = asignacion_activa(session, pedido_id)
    if a is None:
        return
    guia = guia_de(session, a.id)
    if guia is None or guia.estado == "RECHAZADA":  # a rejected guía keeps its record; the re-send is another
        guia = _nueva(pedido, a, session.get(Ruta, a.ruta_id))
    guia.estado, guia.mensaje_respuesta = "ERROR", motivo[:500]
    session.add(guia)
    _avisar(session, guia, f"GRE del pedido PED-{pedido_id} no emitida", motivo)
    session.commit()


def _avisar(session: Session, guia: Guia, titulo: str, mensaje: str) -> None:
    notificar(session, "GRE_RECHAZADA", "distribucion", titulo, mensaje, "pedidos", str(guia.pedido_id),
              f"GRE:{guia.id}:{guia.estado}")


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


PASOS_VERIFICAR_SOL = (
    "SUNAT ya tiene registrada la guía {serie}-{numero}: el primer envío llegó pero su respuesta se perdió "
    "(corte o tiempo de espera) y el API GRE no permite consultar una guía por su número. Ingrese a SUNAT "
    "Operaciones en Línea (SOL) → Comprobantes de pago → Guía de Remisión Electrónica → Consultas, busque "
    "{serie}-{numero}, descargue su CDR (zip) y súbalo en el ERP (POST /api/guias-remision/{id}/cdr/): la guía "
    "quedará ACEPTADA o RECHAZADA según el CDR. No la reenvíe con otro número mientras tanto.")


def _aceptada(session: Session, guia: Guia, descripcion: str) -> None:
    """ACEPTADA; or BAJA_PENDIENTE when the order left the route while SUNAT was deciding (the guía must be
    voided in SOL before anyone could move goods under it)."""
    guia.estado, guia.codigo_respuesta, guia.mensaje_respuesta = "ACEPTADA", "0", descripcion[:500]
    a = session.get(AsignacionPedido, guia.asignacion_id)
    if a.estado == "RETIRADA":
        session.add(guia)
        gre_baja.pedir_baja(session, a, "El pedido salió de la ruta mientras SUNAT aceptaba la guía")


def registrar_respuesta(session: Session, guia_id: int, r: EstadoEnvio) -> str:
    """SUNAT's final answer on the ticket: the CDR stored, ACEPTADA or RECHAZADA with its code and reason.
    "Already registered" (1033: the earlier send reached SUNAT, its answer was lost) is not a rejection: the
    guía goes POR_VERIFICAR until its CDR is read in SOL."""
    guia = session.execute(select(Guia).where(Guia.id == guia_id).with_for_update()).scalar_one()
    if guia.estado not in ("PENDIENTE", "ENVIADA", "POR_VERIFICAR"):
        session.commit()
        return guia.estado
    if r.cdr:
        ruc = guia_ruc(session)
        guia.cdr_path = facturacion_sunat.archivo_una_vez(
            f"guias/{TIPO_GRE}/{guia.serie}/R-{nombre(ruc, guia)}.zip", lambda: r.cdr)
    if r.codigo == ACEPTADO:
        _aceptada(session, guia, leer_cdr(r.cdr).descripcion if r.cdr else "Aceptada")
    elif r.error_codigo in CODIGOS_YA_REGISTRADO and not r.cdr:
        _por_verificar(session, guia, r.error_codigo, r.error_mensaje)
    else:
        guia.estado, guia.codigo_respuesta, guia.mensaje_respuesta = "RECHAZADA", r.error_codigo, r.error_mensaje[:500]
        _avisar(session, guia, f"SUNAT rechazó la GRE {guia.serie}-{guia.numero} (PED-{guia.pedido_id})",
                f"{r.error_codigo}: {r.error_mensaje}. Corrija los datos y reenvíe la GRE "
                f"(POST /api/guias-remision/{guia.id}/reenviar/): irá con un número nuevo.")
    guia.respondido_at = datetime.now(UTC)
    session.add(guia)
    session.commit()
    return guia.estado


def _por_verificar(session: Session, guia: Guia, codigo: str, mensaje: str) -> None:
    guia.estado, guia.codigo_respuesta, guia.mensaje_respuesta = "POR_VERIFICAR", codigo[:10], mensaje[:500]
    notificar(session, "GRE_POR_VERIFICAR", "distribucion",
              f"Verifique en SOL la GRE {guia.serie}-{guia.numero} (PED-{guia.pedido_id})",
              PASOS_VERIFICAR_SOL.format(serie=guia.serie, numero=guia.numero, id=guia.id), "pedidos",
              str(guia.pedido_id), f"GRE_POR_VERIFICAR:{guia.id}")


def registrar_fallo(session: Session, guia_id: int, estado: str, codigo: str, motivo: str) -> str:
    """SUNAT refused the file outright (RECHAZADA with its code) or the SOL credentials (ERROR); a refusal
    saying the number is already registered is the lost-answer case (POR_VERIFICAR)."""
    guia = session.execute(select(Guia).where(Guia.id == guia_id).with_for_update()).scalar_one()
    guia.respondido_at = datetime.now(UTC)
    if codigo in CODIGOS_YA_REGISTRADO:
        _por_verificar(session, guia, codigo, motivo)
    else:
        guia.estado, guia.codigo_respuesta, guia.mensaje_respuesta = estado, codigo[:10], motivo[:500]
        _avisar(session, guia, f"GRE {guia.serie}-{guia.numero} (PED-{guia.pedido_id}) no aceptada", motivo)
    session.add(guia)
    session.commit()
    return guia.estado


class CorreccionGreIn(Entrada):
    """What the dispatcher corrects before re-sending (each optional: a fix made elsewhere, e.g. the warehouse's
    ubigeo, needs none). The order's fields change the order; the carrier's change the carrier."""

    ubigeo: str | None = Field(default=None, pattern=r"^\d{6}$", description="INEI code of the delivery district")
    direccion_entrega: str | None = Field(default=None, min_length=3, max_length=300)
    peso_total: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=3,
                                       description="gross weight of the goods, kg (the GRE's)")
    placa: str | None = Field(default=None, pattern="^[A-Z0-9]{3}-?[A-Z0-9]{3}$")
    conductor_documento: str | None = Field(default=None, pattern="^[0-9A-Z]{8,15}$")
    conductor_licencia: str | None = Field(default=None, pattern="^[A-Z0-9]{9,12}$")


PEDIDO_CORREGIBLE = ("ubigeo", "direccion_entrega", "peso_total")


def corregir(session: Session, guia_id: int, datos: CorreccionGreIn) -> Guia:
    """Check the guía can be re-sent and apply the corrections, in one transaction (before the workflow's
    update, so the rebuild reads them)."""
    guia = exigir_reenviable(session, guia_id)
    cambios = datos.model_dump(exclude_none=True)
    pedido = bloquear(session, guia.pedido_id)
    for campo in PEDIDO_CORREGIBLE:
        if campo in cambios:
            setattr(pedido, campo, cambios.pop(campo))
    session.add(pedido)
    if cambios:
        t = session.get(Transportista, session.get(Ruta, session.get(AsignacionPedido, guia.asignacion_id)
                                                   .ruta_id).transportista_id)
        for campo, valor in cambios.items():
            setattr(t, campo, valor)
        session.add(t)
    session.commit()
    return guia


def exigir_reenviable(session: Session, guia_id: int) -> Guia:
    """A re-send is for the latest guía of an order still planned on that route, rejected by SUNAT or never
    issued (ERROR); anything else is a 409 naming why."""
    guia = obtener(session, guia_id)
    pedido = session.get(Pedido, guia.pedido_id)
    a = asignacion_activa(session, pedido.id)
    if guia.estado not in ("RECHAZADA", "ERROR"):
        raise Conflict(f"La guía {guia.serie}-{guia.numero or ''} está {guia.estado}: solo se reenvía una guía "
                       "RECHAZADA o con ERROR", field="estado")
    if pedido.estado != "PLANIFICADO" or a is None or a.id != guia.asignacion_id:
        raise Conflict(f"El pedido PED-{pedido.id} está {pedido.estado} y la guía no es la de su ruta actual",
                       field="estado")
    ultima = guia_de(session, a.id)
    if ultima.id != guia.id:
        raise Conflict(f"La guía ya se reenvió como {ultima.serie}-{ultima.numero or ''} ({ultima.estado})",
                       field="estado")
    return guia


def cargar_cdr(session: Session, guia_id: int, cdr_zip: bytes) -> Guia:
    """The CDR the dispatcher downloaded from SOL for a POR_VERIFICAR guía: checked to be SUNAT's signed answer
    for this very guía (issuer, serie-número), then recorded like a ticket's answer."""
    guia = obtener(session, guia_id)
    if guia.estado != "POR_VERIFICAR":
        raise Conflict(f"La guía {guia.serie}-{guia.numero} está {guia.estado}: solo se carga el CDR de una guía "
                       "POR_VERIFICAR", field="estado")
    try:
        cdr = leer_cdr(cdr_zip)
        firma.verificar_firma(extraer_xml_de_zip(cdr_zip)[1])
    except (CdrInvalido, firma.FirmaInvalida, ValueError, zipfile.BadZipFile) as exc:
        raise ValidationError(f"El archivo no es un CDR firmado de SUNAT: {exc}", field="archivo") from exc
    ruc = guia_ruc(session)
    if cdr.documento_id != f"{guia.serie}-{guia.numero}" or (cdr.ruc_receptor and cdr.ruc_receptor != ruc):
        raise ValidationError(f"El CDR es de {cdr.documento_id} ({cdr.ruc_receptor}), no de la guía "
                              f"{guia.serie}-{guia.numero} de {ruc}", field="archivo")
    clase = clasificar_codigo(cdr.codigo)
    if clase is ClaseCodigo.EXCEPCION:
        raise ValidationError(f"El CDR trae el código {cdr.codigo}, que no es una aceptación ni un rechazo",
                              field="archivo")
    aceptado = clase in (ClaseCodigo.ACEPTADO, ClaseCodigo.OBSERVADO)  # observations do not reject
    registrar_respuesta(session, guia_id, EstadoEnvio(ACEPTADO if aceptado else "99", cdr_zip,
                                                      "" if aceptado else cdr.codigo, cdr.descripcion))
    return obtener(session, guia_id)


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


def enlace_qr(guia: Guia) -> str:
    """What the GRE's QR carries: the link SUNAT puts in the CDR of an accepted GRE
    (cac:DocumentResponse/cac:DocumentReference/cbc:DocumentDescription, e.g.
    https://e-factura.sunat.gob.pe/v1/contribuyente/gre/comprobantes/descargaqr?hashqr=...), which opens the guía
    on SUNAT's site for whoever checks the load. SUNAT computes it (the hash is its own): unlike a factura's, a
    GRE's QR is not built from the document's fields. "" while the guía has no such CDR (not accepted yet)."""
    if guia.estado not in ("ACEPTADA", "BAJA_PENDIENTE") or not guia.cdr_path:
        return ""
    return leer_cdr(get_storage().get(guia.cdr_path)).enlace


def pdf(session: Session, guia_id: int) -> bytes:
    guia = obtener(session, guia_id)
    if guia.numero is None:
        raise NotFound("La guía aún no se ha emitido")
    pedido = session.get(Pedido, guia.pedido_id)
    a = session.get(AsignacionPedido, guia.asignacion_id)
    documento = _documento(session, pedido, a, guia)
    html = PLANTILLAS.get_template("guia_remision.html").render(
        g=documento, guia=guia, motivo=cat.CAT_20_MOTIVO_TRASLADO.get(guia.motivo_traslado, ""),
        modalidad=cat.CAT_18_MODALIDAD_TRASLADO.get(guia.modalidad, ""),
        qr=segno.make(enlace, error="m").svg_data_uri(scale=3, border=1) if (enlace := enlace_qr(guia)) else "")
    salida = HTML(string=html).render()
    salida.metadata.title = f"Guía de remisión {guia.serie}-{guia.numero}"
    salida.metadata.created = salida.metadata.modified = datetime.combine(
        guia.fecha_emision, datetime.min.time(), UTC).isoformat()
    return salida.write_pdf()

