"""The steps the facturación workflows run through their activities: sign and store the XML, send it,
record SUNAT's answer, render and mail the PDF. Each step is idempotent (it looks at what is already
stored before doing anything) and each database write is one short transaction; SUNAT is called with
no transaction open.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from core import outbox
from core.db import session_scope
from core.settings import get_settings
from integrations.storage import get_storage
from integrations.sunat import catalogos as cat
from integrations.sunat import documento as doc
from integrations.sunat import firma, pdf
from integrations.sunat.documento import nombre_archivo
from integrations.sunat.provider import (
    ConfigProveedor,
    EstadoSunat,
    ProveedorSunat,
    ResultadoEnvio,
    SunatCdrNoEncontrado,
    SunatError,
    SunatNoDisponible,
    SunatYaRegistrado,
    proveedor_desde_config,
)
from integrations.sunat.ubl import construir, construir_xml
from models.configuracion import Configuracion
from models.facturacion import (
    Comprobante,
    ComunicacionBaja,
    EnvioSunat,
    EstadoComprobante,
    EstadoResumen,
    ResumenDiario,
    ResumenDiarioItem,
)
from services import configuracion as configuracion_srv
from services import facturacion, finanzas, notificaciones_cliente
from services.notificaciones_cliente import Aviso, Correo
from workflows.entradas import DecisionResumen

log = logging.getLogger(__name__)
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NO_DISPONIBLE, ERROR = "NO_DISPONIBLE", "ERROR"


# --- company credentials ---------------------------------------------------------------------------


def certificado(session: Session) -> tuple[bytes, str]:
    """The company's PFX and password. A fresh install (the demo company) gets a self-signed demo
    certificate on first use, stored encrypted like a real one; SUNAT beta and the sandbox accept it."""
    config = configuracion_srv.obtener(session)
    if config.certificado_pfx is None:  # first use only: lock the row so one demo certificate is made
        session.refresh(config, with_for_update=True)
    if config.certificado_pfx is None:
        pfx, password = firma.generar_certificado_demo(config.ruc, config.razon_social)
        config.certificado_pfx, config.certificado_password = pfx, password
        session.add(config)
        session.commit()
        log.warning("no digital certificate configured: generated a self-signed demo certificate")
    return config.certificado_pfx, config.certificado_password or ""


def proveedor(config: Configuracion) -> ProveedorSunat:
    return proveedor_desde_config(ConfigProveedor(
        ruc=config.ruc, proveedor=config.proveedor_sunat.lower(), usuario_sol=config.sunat_usuario_sol,
        clave_sol=config.sunat_clave_sol or "", nubefact_url=config.nubefact_url,
        nubefact_token=config.nubefact_token or ""))


def proveedor_actual() -> ProveedorSunat:
    with session_scope() as session:
        return proveedor(configuracion_srv.obtener(session))


# --- XML ---------------------------------------------------------------------------------------------


def nombre_sunat(ruc: str, c: Comprobante) -> str:
    return nombre_archivo(ruc, c.tipo, c.serie, c.numero)


def clave_archivo(ruc: str, c: Comprobante, extension: str) -> str:
    prefijo = "R-" if extension == "cdr.zip" else ""
    return f"comprobantes/{c.tipo}/{c.serie}/{prefijo}{nombre_sunat(ruc, c)}.{extension.removeprefix('cdr.')}"


def archivo_una_vez(clave: str, producir: Callable[[], bytes]) -> str:
    """Store what `producir` makes under `clave` unless something is already there (then keep that)."""
    storage = get_storage()
    if not storage.exists(clave):
        storage.put_if_absent(clave, producir())
    return clave


def digest_de(xml_firmado: bytes) -> str:
    nodo = etree.fromstring(xml_firmado).find(f".//{{{NS_DS}}}DigestValue")
    return (nodo.text or "").strip() if nodo is not None else ""


def texto_qr(ruc: str, c: Comprobante, digest: str) -> str:
    """SUNAT's QR content: RUC|TIPO|SERIE|NUMERO|IGV|TOTAL|FECHA|TIPO DOC ADQ|NUM DOC ADQ|HASH|"""
    return (f"{ruc}|{c.tipo}|{c.serie}|{c.numero}|{c.total_igv:.2f}|{c.total_venta:.2f}|"
            f"{c.fecha_emision:%Y-%m-%d}|{c.cliente_tipo_doc}|{c.cliente_numero_doc}|{digest}|")


@dataclass
class Preparado:
    comprobante_id: int
    modo_emision: str
    estado: str
    reintento_inicial: float  # contingency backoff (seconds), from settings
    reintento_maximo: float


def preparar_xml(comprobante_id: int) -> Preparado:
    """Build, sign and store the XML once. If a signed XML is already stored under the document's
    name it is reused as is: a number never gets a second, different XML."""
    with session_scope() as session:
        c = facturacion.obtener(session, comprobante_id)
        config = configuracion_srv.obtener(session)

        def firmar() -> bytes:
            pfx, password = certificado(session)
            return firma.firmar_xml(construir_xml(facturacion.documento_sunat(session, c)), pfx, password)[0]

        clave = archivo_una_vez(clave_archivo(config.ruc, c, "xml"), firmar)
        digest = digest_de(get_storage().get(clave))
        if c.xml_path is None and c.estado_sunat == EstadoComprobante.ERROR:  # its data was corrected
            c.estado_sunat, c.codigo_respuesta, c.mensaje_respuesta = EstadoComprobante.PENDIENTE, None, None
        c.xml_path, c.hash, c.qr = clave, digest, texto_qr(config.ruc, c, digest)
        session.add(c)
        settings = get_settings()
        return Preparado(c.id, c.modo_emision, c.estado_sunat, settings.sunat_reintento_inicial_s,
                         settings.sunat_reintento_maximo_s)


def registrar_error(comprobante_id: int, motivo: str) -> str:
    """Preparing the document failed on its data (no retry can fix it): estado ERROR with the reason, listed
    by `con-error`, until the data is corrected (`facturacion.corregir`) or the cause fixed and it is resent."""
    with session_scope() as session:
        c = facturacion.obtener(session, comprobante_id)
        if c.xml_path is None:  # a signed XML exists: the number is already what SUNAT gets, not a data error
            c.estado_sunat, c.codigo_respuesta = EstadoComprobante.ERROR, None
            c.mensaje_respuesta = motivo[:1000]
            session.add(c)
        return c.estado_sunat


# --- sending -----------------------------------------------------------------------------------------

_ANTERIOR_EN_COLA = text("""
    SELECT 1 FROM comprobantes WHERE tipo = :tipo AND serie = :serie AND numero < :numero
    AND estado_sunat = 'CONTINGENCIA' LIMIT 1
""")


def _en_cola(session: Session, c: Comprobante) -> bool:
    """Contingency queue order: a document waits while a lower number of its series is still queued
    (and is itself in CONTINGENCIA meanwhile, listed by cola-contingencia)."""
    bloqueado = session.execute(_ANTERIOR_EN_COLA, {"tipo": c.tipo, "serie": c.serie,
                                                    "numero": c.numero}).first() is not None
    if bloqueado and c.estado_sunat != EstadoComprobante.CONTINGENCIA:
        c.estado_sunat = EstadoComprobante.CONTINGENCIA
        session.add(c)
    return bloqueado


def siguiente_en_cola(comprobante_id: int) -> str | None:
    """Workflow id of the next queued document of the same series (to wake it up now)."""
    with session_scope() as session:
        c = facturacion.obtener(session, comprobante_id)
        siguiente = session.execute(select(Comprobante).where(
            Comprobante.tipo == c.tipo, Comprobante.serie == c.serie, Comprobante.numero > c.numero,
            Comprobante.estado_sunat == EstadoComprobante.CONTINGENCIA,
        ).order_by(Comprobante.numero).limit(1)).scalars().first()
        return siguiente.workflow_id if siguiente else None


@dataclass
class Respuesta:
    estado: str  # ACEPTADO | OBSERVADO | RECHAZADO | NO_DISPONIBLE | ERROR
    codigo: str = ""
    mensaje: str = ""
    observaciones: list[dict] | None = None
    cdr_zip: bytes | None = None


def _respuesta(r: ResultadoEnvio) -> Respuesta:
    return Respuesta(r.estado.value, r.codigo, r.mensaje,
                     [{"codigo": o.codigo, "mensaje": o.mensaje} for o in r.observaciones], r.cdr_zip)


def _fallo(exc: SunatError) -> Respuesta:
    no_disponible = isinstance(exc, SunatNoDisponible) or exc.reintentable
    return Respuesta(NO_DISPONIBLE if no_disponible else ERROR, exc.codigo or "", exc.mensaje)


def preguntar_a_sunat(prov: ProveedorSunat, ruc: str, c: Comprobante, xml: bytes) -> Respuesta:
    """sendBill; when SUNAT says the number is already registered (1033 & co.), fetch its CDR."""
    try:
        try:
            return _respuesta(prov.enviar_comprobante(nombre_sunat(ruc, c), xml))
        except SunatYaRegistrado:
            return _respuesta(prov.consultar_cdr(ruc, c.tipo, c.serie, c.numero))
    except SunatCdrNoEncontrado as exc:
        return Respuesta(ERROR, exc.codigo or "", f"SUNAT indicó que ya estaba registrado pero sin CDR: {exc.mensaje}")
    except SunatError as exc:
        return _fallo(exc)


ESTADO_POR_RESPUESTA = {
    EstadoSunat.ACEPTADO.value: EstadoComprobante.ACEPTADO, EstadoSunat.OBSERVADO.value: EstadoComprobante.OBSERVADO,
    EstadoSunat.RECHAZADO.value: EstadoComprobante.RECHAZADO, NO_DISPONIBLE: EstadoComprobante.CONTINGENCIA,
    ERROR: EstadoComprobante.ERROR,
}


def _registrar_respuesta(comprobante_id: int, intento: int, ruc: str, r: Respuesta) -> str:
    with session_scope() as session:
        c = facturacion.obtener(session, comprobante_id)
        cdr_path = None
        if r.cdr_zip:
            cdr_path = clave_archivo(ruc, c, "cdr.zip")
            get_storage().put(cdr_path, r.cdr_zip)
            c.cdr_path = cdr_path
        session.execute(insert(EnvioSunat.__table__).values(
            comprobante_id=c.id, intento=intento, estado=r.estado, codigo_respuesta=r.codigo or None,
            mensaje_respuesta=(r.mensaje or "")[:2000], observaciones=r.observaciones or None, cdr_path=cdr_path,
        ).on_conflict_do_nothing(constraint="uq_envios_sunat_intento"))
        c.estado_sunat = ESTADO_POR_RESPUESTA[r.estado]
        c.codigo_respuesta, c.mensaje_respuesta = r.codigo or None, (r.mensaje or "")[:1000] or None
        session.add(c)
        return c.estado_sunat


@dataclass
class Intento:
    estado: str
    en_cola: bool = False  # not sent: a lower number of the series is still queued
    siguiente: str | None = None  # once decided: the next queued document's workflow, to wake up


def _decidido(comprobante_id: int, estado: str) -> Intento:
    return Intento(estado, siguiente=siguiente_en_cola(comprobante_id) if facturacion.es_final(estado) else None)


def enviar(comprobante_id: int, intento: int) -> Intento:
    """One attempt to inform the comprobante. An already decided comprobante is not sent again, and
    one with a lower number still queued in contingency is not sent yet."""
    with session_scope() as session:
        c = facturacion.obtener(session, comprobante_id)
        if facturacion.es_final(c.estado_sunat):
            return _decidido(comprobante_id, c.estado_sunat)
        if _en_cola(session, c):
            return Intento(EstadoComprobante.CONTINGENCIA, en_cola=True)
        config = configuracion_srv.obtener(session)
        prov, ruc = proveedor(config), config.ruc
    xml = get_storage().get(c.xml_path)
    return _decidido(comprobante_id, _registrar_respuesta(comprobante_id, intento, ruc,
                                                          preguntar_a_sunat(prov, ruc, c, xml)))


def estado(comprobante_id: int) -> str:
    with session_scope() as session:
        return facturacion.obtener(session, comprobante_id).estado_sunat


# --- resúmenes diarios (RC) and comunicaciones de baja (RA) -----------------------------------------------


def _registro(session: Session, tipo: str, registro_id: int) -> ResumenDiario | ComunicacionBaja:
    modelo = ResumenDiario if tipo == "RC" else ComunicacionBaja
    registro = session.get(modelo, registro_id)
    if registro is None:
        raise LookupError(f"{tipo} {registro_id} no existe")
    return registro


def _documento_resumen(session: Session, tipo: str, registro: ResumenDiario | ComunicacionBaja
                       ) -> doc.ResumenDiario | doc.ComunicacionBaja:
    emisor = facturacion.emisor(session)
    if tipo == "RA":
        c = facturacion.obtener(session, registro.comprobante_id)
        return doc.ComunicacionBaja(emisor, registro.fecha_referencia, registro.fecha_generacion, registro.correlativo,
                                    [doc.BajaLinea(c.tipo, c.serie, c.numero, registro.motivo)])
    items = session.execute(select(ResumenDiarioItem, Comprobante).join(
        Comprobante, Comprobante.id == ResumenDiarioItem.comprobante_id).where(
        ResumenDiarioItem.resumen_id == registro.id).order_by(Comprobante.serie, Comprobante.numero)).all()
    lineas = [doc.ResumenLinea(facturacion.documento_sunat(session, c), estado=item.condicion) for item, c in items]
    return doc.ResumenDiario(emisor, registro.fecha, registro.fecha_generacion, registro.correlativo, lineas)


def enviar_resumen(tipo: str, registro_id: int) -> str | None:
    """Sign and store the RC/RA once, sendSummary once: returns the ticket (stored, so a retry of this
    step after a crash does not present the summary twice), or None when SUNAT refused the request."""
    with session_scope() as session:
        registro = _registro(session, tipo, registro_id)
        if registro.codigo_ticket:
            return registro.codigo_ticket
        documento = _documento_resumen(session, tipo, registro)

        def firmar() -> bytes:
            pfx, password = certificado(session)
            return firma.firmar_xml(construir(documento), pfx, password)[0]

        registro.xml_path = archivo_una_vez(f"resumenes/{documento.nombre_archivo}.xml", firmar)
        clave = registro.xml_path  # recorded before sending: a summary SUNAT refuses can still be inspected
        session.add(registro)
        prov = proveedor(configuracion_srv.obtener(session))
    try:
        ticket = prov.enviar_resumen(documento.nombre_archivo, get_storage().get(clave))
    except SunatError as exc:
        if isinstance(exc, SunatNoDisponible) or exc.reintentable:
            raise  # the activity retries with backoff
        _no_recibido(tipo, registro_id, exc)
        return None
    with session_scope() as session:
        registro = _registro(session, tipo, registro_id)
        registro.codigo_ticket = ticket
        registro.estado_envio = EstadoResumen.ENVIADO
        session.add(registro)
    return ticket


def registrar_error_resumen(tipo: str, registro_id: int, motivo: str) -> str:
    """The RC/RA could not be built from its data: estado ERROR with the reason; its documents stay where
    they are (POR_ANULAR for a voiding) until it is corrected and resent (`facturacion.corregir_baja`)."""
    with session_scope() as session:
        registro = _registro(session, tipo, registro_id)
        registro.estado_envio, registro.codigo_respuesta = EstadoResumen.ERROR, None
        registro.mensaje_respuesta = motivo[:1000]
        session.add(registro)
        return registro.estado_envio


def _items(session: Session, tipo: str, registro: ResumenDiario | ComunicacionBaja) -> list[tuple[Comprobante, str]]:
    if tipo == "RA":
        return [(facturacion.obtener(session, registro.comprobante_id), "3")]
    filas = session.execute(select(Comprobante, ResumenDiarioItem.condicion).join(
        ResumenDiarioItem, ResumenDiarioItem.comprobante_id == Comprobante.id).where(
        ResumenDiarioItem.resumen_id == registro.id)).all()
    return [(c, condicion) for c, condicion in filas]


def _estado_tras_resumen(condicion: str, r: ResultadoEnvio) -> EstadoComprobante:
    if condicion == "3":  # voiding: accepted → ANULADO; rejected → the document stays valid
        return EstadoComprobante.ANULADO if r.aceptado else EstadoComprobante.ACEPTADO
    return ESTADO_POR_RESPUESTA[r.estado.value]


def _no_recibido(tipo: str, registro_id: int, exc: SunatError) -> None:
    """SUNAT refused the summary itself (credentials, packaging): nothing was informed. Boletas go back to
    PENDIENTE for the next resumen; documents being voided stay valid (ACEPTADO)."""
    with session_scope() as session:
        registro = _registro(session, tipo, registro_id)
        registro.estado_envio = EstadoResumen.ERROR
        registro.codigo_respuesta, registro.mensaje_respuesta = exc.codigo, exc.mensaje[:1000]
        session.add(registro)
        for c, condicion in _items(session, tipo, registro):
            c.estado_sunat = EstadoComprobante.PENDIENTE if condicion == "1" else EstadoComprobante.ACEPTADO
            session.add(c)


def _aplicar_resultado_resumen(tipo: str, registro_id: int, r: ResultadoEnvio) -> str:
    with session_scope() as session:
        registro = _registro(session, tipo, registro_id)
        if r.cdr_zip:
            registro.cdr_path = f"resumenes/R-{registro.xml_path.rsplit('/', 1)[-1].removesuffix('.xml')}.zip"
            get_storage().put(registro.cdr_path, r.cdr_zip)
        registro.estado_envio = EstadoResumen.ACEPTADO if r.aceptado else EstadoResumen.RECHAZADO
        registro.codigo_respuesta, registro.mensaje_respuesta = r.codigo, r.mensaje[:1000]
        session.add(registro)
        for c, condicion in _items(session, tipo, registro):
            c.estado_sunat = _estado_tras_resumen(condicion, r)
            c.codigo_respuesta, c.mensaje_respuesta = r.codigo, r.mensaje[:1000]
            session.add(c)
            if c.estado_sunat == EstadoComprobante.ANULADO:
                finanzas.anular_comprobante(session, c)  # module 6: reversal entry, receivable cancelled
            # A boleta's workflow waits for this (a voided document's workflow has ended: the relay drops it).
            outbox.request_signal(session, c.workflow_id, "decidido_en_resumen", DecisionResumen(str(c.estado_sunat)),
                                  dedupe_key=f"{tipo}-{registro_id}")
        return registro.estado_envio


def consultar_resumen(tipo: str, registro_id: int) -> str | None:
    """getStatus of the ticket: None while SUNAT is processing (98), else the final estado applied to the
    resumen and to every document it informs."""
    with session_scope() as session:
        registro = _registro(session, tipo, registro_id)
        if registro.estado_envio in (EstadoResumen.ACEPTADO, EstadoResumen.RECHAZADO):
            return registro.estado_envio
        ticket, prov = registro.codigo_ticket, proveedor(configuracion_srv.obtener(session))
    resultado = prov.consultar_ticket(ticket)
    return None if resultado is None else _aplicar_resultado_resumen(tipo, registro_id, resultado)


# --- PDF and e-mail -------------------------------------------------------------------------------------


def generar_pdf(comprobante_id: int) -> str:
    """Render the A4 PDF (with the QR) once and store it."""
    with session_scope() as session:
        c = facturacion.obtener(session, comprobante_id)
        config = configuracion_srv.obtener(session)
        c.pdf_path = archivo_una_vez(clave_archivo(config.ruc, c, "pdf"), lambda: pdf.generar_pdf(
            facturacion.documento_sunat(session, c), c.qr or "", hash_=c.hash or ""))
        session.add(c)
        return c.pdf_path


def notificar_cliente(comprobante_id: int) -> bool:
    """Tell the customer the comprobante is issued, when the company wants it, through the channel module 7
    decides (services.notificaciones_cliente): WhatsApp with the PDF link for an opted-in client with an
    approved template, else this e-mail with the PDF and XML. Sent after commit by its own workflow;
    `notificado_at` and the notice's key make it once."""
    with session_scope() as session:
        c = facturacion.obtener(session, comprobante_id)
        config = configuracion_srv.obtener(session)
        if not (config.notificar_cliente and c.notificado_at is None and c.pdf_path):
            return False
        nombre = nombre_sunat(config.ruc, c)
        documento = f"{cat.CAT_01_TIPO_DOCUMENTO[c.tipo].title()} electrónica {c.documento}"
        correo = Correo([c.cliente_email] if c.cliente_email else [], f"{documento} - {config.razon_social}",
                        f"Estimado cliente {c.cliente_razon_social}:\n\nAdjuntamos su comprobante electrónico "
                        f"{c.documento} por {c.moneda} {c.total_venta:.2f}.\n\n{config.razon_social} - RUC "
                        f"{config.ruc}\n", [(f"{nombre}.pdf", c.pdf_path, "application/pdf"),
                                              (f"{nombre}.xml", c.xml_path, "application/xml")])
        variables = {"cliente": c.cliente_razon_social, "documento": c.documento, "total": f"{c.total_venta:.2f}",
                     "moneda": c.moneda, "fecha": c.fecha_emision.strftime("%d/%m/%Y"), "empresa": config.razon_social,
                     "pdf_url": notificaciones_cliente.enlace_pdf(c.id)}
        notificaciones_cliente.avisar(session, Aviso(
            "COMPROBANTE_EMITIDO", notificaciones_cliente.cliente_de_comprobante(session, c), variables, correo,
            "comprobantes", str(c.id), f"COMPROBANTE_EMITIDO:{c.id}", archivo=f"{nombre}.pdf"))
        c.notificado_at = datetime.now(UTC)
        session.add(c)
    return True
