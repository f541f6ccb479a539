"""Module 3 endpoints: /api/facturacion/..."""

import uuid
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import ConfigDict, EmailStr, Field

from api.contrato import descarga, errores
from api.deps import Allowed, SessionDep, idempotent
from core.errors import NotFound, ValidationError
from core.schemas import Entrada, Fecha, HoraLocal, Id, Pagina, Paginacion, Salida, salida_de
from integrations.storage import get_storage
from models.facturacion import Comprobante, CuotaComprobante, DetalleComprobante, EnvioSunat
from services import calculo
from services import facturacion as svc
from services import facturacion_notas as notas_svc
from services import facturacion_pago as pago
from services import facturacion_resumenes as resumenes_svc
from services.calculo import DescuentoCargoIn
from services.cuotas import CuotaIn, FormaPagoIn

router = APIRouter(prefix="/api/facturacion", tags=["facturacion"])

Texto = Annotated[str, Field(max_length=200)]
CANTIDAD = Decimal("0.0001")  # detalle_comprobante.cantidad: NUMERIC(14, 4)
Identificador = Annotated[str, Path(max_length=30, pattern=r"^R[AC]-\d{8}-\d+$", examples=["RC-20261201-1"])]


class ClienteIn(Entrada):
    tipo_documento: Annotated[str, Field(min_length=1, max_length=1)]
    numero_documento: Annotated[str, Field(min_length=1, max_length=15)]
    razon_social: Texto
    direccion: Annotated[str, Field(max_length=300)] = ""
    email: EmailStr | None = None
    pais: Annotated[str, Field(pattern="^[A-Z]{2}$")] = "PE"  # ISO 3166-1 alpha-2; abroad -> exportación


class LineaIn(Entrada):
    codigo_producto: Annotated[str, Field(min_length=1, max_length=30)]
    descripcion: Annotated[str, Field(min_length=1, max_length=500)]
    cantidad: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=4)]
    # exactly one of the two (400 naming the field otherwise)
    valor_unitario: Annotated[Decimal | None, Field(ge=0, max_digits=22, decimal_places=10,
                                                    description="sin IGV")] = None
    precio_unitario: Annotated[Decimal | None, Field(ge=0, max_digits=22, decimal_places=10,
                                                     description="con IGV: la línea cobra precio × cantidad − "
                                                                 "descuento")] = None
    descuento: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2,
                                        description="de la línea, en los términos del importe unitario")] = Decimal(0)
    bolsa_plastica: Annotated[bool | None, Field(description="la línea son bolsas plásticas (ICBPER por unidad); "
                                                 "por omisión, si el código es un producto marcado como bolsa")] = None
    unidad_medida: Annotated[str, Field(max_length=3)] = "NIU"
    afectacion_igv: Annotated[str | None, Field(max_length=2)] = None  # catálogo 07; default 10, 40 in exports
    codigo_detraccion: Annotated[str | None, Field(pattern="^[0-9]{3}$")] = None  # catálogo 54; default: product's

    def datos(self) -> svc.LineaDatos:
        datos = svc.LineaDatos(**self.model_dump(exclude={"bolsa_plastica"}))
        if self.bolsa_plastica is not None:
            datos.icbper_cantidad = int(self.cantidad) if self.bolsa_plastica else 0
        return datos


class DetraccionIn(Entrada):
    """States that the operation is subject to the SPOT whatever its amount (the code's own rule)."""

    codigo: Annotated[str, Field(pattern="^[0-9]{3}$")]  # catálogo 54
    porcentaje: Annotated[Decimal | None, Field(gt=0, le=100, max_digits=5, decimal_places=2)] = None
    medio_pago: Annotated[str, Field(pattern="^[0-9]{3}$")] = "001"  # catálogo 59


class EmitirIn(Entrada):
    tipo: Annotated[str | None, Field(pattern="^(01|03)$")] = None
    cliente: ClienteIn
    lineas: Annotated[list[LineaIn], Field(min_length=1, max_length=1000)]
    moneda: Annotated[str, Field(min_length=3, max_length=3)] = "PEN"
    tipo_cambio: Annotated[Decimal | None, Field(gt=0, max_digits=10, decimal_places=4)] = None
    descuentos_cargos: Annotated[list[DescuentoCargoIn], Field(max_length=10)] = []  # global, catálogo 53
    tipo_operacion: Annotated[str | None, Field(pattern="^(0101|020[0-8])$")] = None  # default: 0200 abroad
    forma_pago: FormaPagoIn = "Contado"
    cuotas: Annotated[list[CuotaIn] | None, Field(max_length=999)] = None  # Credito; default: días de crédito
    detraccion: DetraccionIn | None = None

    def condiciones(self) -> pago.Condiciones:
        d = self.detraccion
        return pago.Condiciones(
            forma_pago=self.forma_pago, cuotas=self.cuotas, tipo_operacion=self.tipo_operacion,
            detraccion=pago.DetraccionDatos(d.codigo, d.porcentaje, d.medio_pago) if d else None)


class LineaNotaIn(Entrada):
    """A note line: the line of the original it modifies (`linea_origen`, its `orden`) and what changes.
    Credit notes: `cantidad` defaults to what is still returnable, `valor_unitario` to the original's.
    A debit-note line without `linea_origen` is a new charge and gives codigo_producto, descripcion, cantidad."""

    linea_origen: Annotated[int | None, Field(ge=1, le=1000)] = None
    cantidad: Annotated[Decimal | None, Field(gt=0, max_digits=14, decimal_places=4)] = None
    valor_unitario: Annotated[Decimal | None, Field(ge=0, max_digits=22, decimal_places=10)] = None
    precio_unitario: Annotated[Decimal | None, Field(ge=0, max_digits=22, decimal_places=10,
                                                     description="con IGV, instead of valor_unitario")] = None
    descripcion: Annotated[str | None, Field(min_length=1, max_length=500)] = None
    codigo_producto: Annotated[str | None, Field(min_length=1, max_length=30)] = None
    unidad_medida: Annotated[str | None, Field(max_length=3)] = None
    afectacion_igv: Annotated[str | None, Field(max_length=2)] = None


class NotaIn(Entrada):
    tipo: Annotated[str, Field(pattern="^(07|08)$")]
    comprobante_origen_id: Id
    motivo_codigo: Annotated[str, Field(min_length=2, max_length=2)]
    motivo_descripcion: Annotated[str, Field(min_length=1, max_length=250)]
    lineas: Annotated[list[LineaNotaIn], Field(max_length=1000,
                                               description="empty for motivos 01, 02, 06 (the whole balance)")] = []


class AnularIn(Entrada):
    motivo: Annotated[str, Field(min_length=1, max_length=100)]


class LineaCorregidaIn(Entrada):
    orden: Annotated[int, Field(ge=1, le=1000)]
    descripcion: Annotated[str, Field(min_length=1, max_length=500)]


class CorregirIn(Entrada):
    """Only the fields sent are changed."""

    cliente_razon_social: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    cliente_direccion: Annotated[str | None, Field(max_length=300)] = None
    cliente_email: EmailStr | None = None
    motivo_descripcion: Annotated[str | None, Field(min_length=1, max_length=250)] = None
    lineas: Annotated[list[LineaCorregidaIn], Field(max_length=1000)] = []

    def datos(self) -> svc.Correccion:
        return svc.Correccion(self.cliente_razon_social, self.cliente_direccion, self.cliente_email,
                              self.motivo_descripcion, {linea.orden: linea.descripcion for linea in self.lineas})


class CorregirBajaIn(Entrada):
    motivo: Annotated[str, Field(min_length=1, max_length=100)]


class ResumenIn(Entrada):
    fecha: Fecha | None = None


class ComprobanteOut(Salida):
    """A comprobante (01 factura, 03 boleta, 07 nota de crédito, 08 nota de débito) and its SUNAT state."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 57, "tipo": "01", "serie": "F001", "numero": 123, "fecha_emision": "2026-03-02",
        "hora_emision": "15:30:00", "cliente_tipo_doc": "6", "cliente_numero_doc": "20100066603",
        "cliente_razon_social": "ACME S.A.C.", "moneda": "PEN", "total_gravada": "100.00", "total_exonerada": "0.00",
        "total_inafecta": "0.00", "total_igv": "18.00", "total_venta": "118.00", "estado_sunat": "ACEPTADO",
        "codigo_respuesta": "0", "mensaje_respuesta": "La Factura numero F001-123, ha sido aceptada",
        "hash": "q1Yw…=", "qr": "20123456789|01|F001|123|18.00|118.00|2026-03-02|6|20100066603|q1Yw…=|",
        "modo_emision": "INDIVIDUAL", "venta_id": 31, "comprobante_origen_id": None, "motivo_codigo": None,
        "tipo_operacion": "0101", "forma_pago": "Credito", "monto_neto_pendiente": "118.00", "cliente_pais": "PE",
        "detraccion_codigo": None, "detraccion_porcentaje": None, "detraccion_monto": None,
        "detraccion_cuenta": None, "detraccion_medio_pago": None,
        "created_at": "2026-03-02T20:30:00Z", "total_acreditado": "0.00", "saldo_por_acreditar": "118.00",
        "cerrado_para_credito": False}]})

    id: int
    tipo: str
    serie: str
    numero: int
    fecha_emision: date
    hora_emision: HoraLocal
    cliente_tipo_doc: str
    cliente_numero_doc: str
    cliente_razon_social: str
    moneda: str
    total_gravada: Decimal
    total_exonerada: Decimal
    total_inafecta: Decimal
    total_igv: Decimal
    total_icbper: Decimal
    total_descuentos: Decimal
    total_cargos: Decimal
    total_venta: Decimal
    descuentos_cargos: list[dict]  # global, catálogo 53, as given: codigo, monto or factor
    estado_sunat: str
    codigo_respuesta: str | None
    mensaje_respuesta: str | None
    hash: str | None
    qr: str | None
    modo_emision: str
    venta_id: int | None
    comprobante_origen_id: int | None
    motivo_codigo: str | None
    tipo_operacion: str
    forma_pago: str
    monto_neto_pendiente: Decimal | None
    cliente_pais: str
    detraccion_codigo: str | None
    detraccion_porcentaje: Decimal | None
    detraccion_monto: Decimal | None  # PEN
    detraccion_cuenta: str | None
    detraccion_medio_pago: str | None
    created_at: datetime
    total_acreditado: Decimal | None = Field(
        None, description="facturas/boletas: importe of their live credit notes (not rejected, not voided)")
    saldo_por_acreditar: Decimal | None = Field(None, description="total_venta - total_acreditado")
    cerrado_para_credito: bool | None = Field(
        None, description="true after an anulación (motivo 01/02) or once everything was credited")


class DocumentoResumenOut(Salida):

    comprobante_id: int
    tipo: str
    serie: str
    numero: int
    documento: str
    estado_sunat: str
    total_venta: Decimal
    condicion: str = Field(description="catálogo 19: 1 adicionar, 3 anular")
    motivo: str | None = Field(None, description="RA: reason of the voiding")


class ResumenOut(Salida):
    """A resumen diario (RC) or comunicación de baja (RA) with what SUNAT answered."""

    tipo: str = Field(description="RC resumen diario, RA comunicación de baja")
    id: int = Field(description="row id within its tipo; the identificador is the key across both")
    identificador: str
    fecha: date = Field(description="date of the documents it informs")
    fecha_generacion: date
    cantidad_documentos: int
    estado_envio: str
    codigo_ticket: str | None
    codigo_respuesta: str | None
    mensaje_respuesta: str | None
    workflow_id: str
    created_at: datetime
    documentos: list[DocumentoResumenOut]


EnvioSunatOut = salida_de(EnvioSunat, "EnvioSunatOut", doc="One attempt to inform the comprobante to SUNAT.")
LineaComprobanteOut = salida_de(
    DetalleComprobante, "LineaComprobanteOut", excluir=("comprobante_id",),
    doc="A line of the comprobante; on facturas and boletas, also what it has left to credit.",
    cantidad_devuelta=(Decimal | None, None), cantidad_por_devolver=(Decimal | None, None),
    valor_por_acreditar=(Decimal | None, None))
CuotaOut = salida_de(CuotaComprobante, "CuotaOut", excluir=("id", "comprobante_id"),
                     doc="One credit instalment (Cuota001...) of a comprobante issued al Crédito.")


class ComprobanteDetalleOut(ComprobanteOut):
    """The comprobante with its lines, its credit instalments and every attempt to inform it to SUNAT."""

    lineas: list[LineaComprobanteOut]  # type: ignore[valid-type]
    cuotas: list[CuotaOut] = Field(description="empty unless forma_pago is Credito")  # type: ignore[valid-type]
    envios_sunat: list[EnvioSunatOut]  # type: ignore[valid-type]


def _resumen_out(r: resumenes_svc.Resumen) -> ResumenOut:
    return ResumenOut.model_validate(r)


def _out(c: Comprobante, saldo: notas_svc.SaldoCredito | None = None) -> ComprobanteOut:
    out = ComprobanteOut.model_validate(c)
    if saldo is not None:
        out.total_acreditado, out.saldo_por_acreditar = saldo.total_acreditado, saldo.saldo_por_acreditar
        out.cerrado_para_credito = saldo.cerrado_para_credito
    return out


def _con_saldos(session: SessionDep, comprobantes: list[Comprobante]) -> list[ComprobanteOut]:
    saldos = notas_svc.saldos(session, comprobantes)
    return [_out(c, saldos.get(c.id)) for c in comprobantes]


class BajaOut(Salida):
    """A comunicación de baja whose XML could not be built (estado ERROR)."""

    id: int
    comprobante_id: int
    identificador: str
    motivo: str
    estado_envio: str
    mensaje_respuesta: str | None
    created_at: datetime


class ConErrorOut(Salida):
    """What waits for a correction: comprobantes in ERROR and the bajas that could not be built."""

    comprobantes: list[ComprobanteOut]
    bajas: list[BajaOut]


@router.post("/emitir/", status_code=201, response_model=ComprobanteOut)
@idempotent
def emitir(body: EmitirIn, session: SessionDep, _user: Allowed("facturacion", "emitir")) -> ComprobanteOut:
    """Number the comprobante and send it to SUNAT in the background (estado starts PENDIENTE)."""
    cliente = svc.ClienteDatos(**body.cliente.model_dump(exclude={"email"}), email=body.cliente.email or "")
    datos = svc.DatosEmision(cliente=cliente, lineas=[linea.datos() for linea in body.lineas], tipo=body.tipo,
                             moneda=body.moneda, tipo_cambio=body.tipo_cambio,
                             descuentos_cargos=calculo.globales_json(body.descuentos_cargos),
                             condiciones=body.condiciones())
    return _con_saldos(session, [svc.emitir(session, datos)])[0]


@router.post("/notas/", status_code=201, response_model=ComprobanteOut, responses=errores(422))
@idempotent
def emitir_nota(body: NotaIn, session: SessionDep, _user: Allowed("facturacion", "emitir")) -> ComprobanteOut:
    """Nota de crédito (motivo catálogo 09) or débito (catálogo 10) on an accepted comprobante, line by line
    against the original: 422 naming the line that asks for more than is left, 409 once the original is
    closed by an anulación (motivo 01/02)."""
    datos = notas_svc.DatosNota(body.tipo, body.comprobante_origen_id, body.motivo_codigo, body.motivo_descripcion,
                                [notas_svc.LineaNota(**linea.model_dump()) for linea in body.lineas])
    return _out(notas_svc.emitir_nota(session, datos))


@router.get("/comprobantes/", response_model=Pagina[ComprobanteOut])
def listar(session: SessionDep, _user: Allowed("facturacion", "ver"), pagina: Annotated[Paginacion, Depends()],
           estado: Annotated[str | None, Query(max_length=15)] = None,
           tipo: Annotated[str | None, Query(pattern="^(01|03|07|08)$")] = None,
           fecha_desde: Fecha | None = None, fecha_hasta: Fecha | None = None,
           cliente: Annotated[str | None, Query(max_length=100)] = None) -> Pagina[ComprobanteOut]:
    filtros = svc.Filtros(estado, tipo, fecha_desde, fecha_hasta, cliente)
    comprobantes, total = svc.listar(session, filtros, pagina)
    return pagina.pagina(_con_saldos(session, comprobantes), total)


def _linea_out(s: notas_svc.SaldoLinea) -> dict:
    return {**s.detalle.model_dump(mode="json", exclude={"comprobante_id"}),
            "cantidad_devuelta": str(s.cantidad_devuelta.quantize(CANTIDAD)),
            "cantidad_por_devolver": str(s.cantidad_por_devolver.quantize(CANTIDAD)),
            "valor_por_acreditar": str(s.valor_por_acreditar.quantize(Decimal("0.01"), ROUND_DOWN))}


@router.get("/comprobantes/{comprobante_id}/", response_model=ComprobanteDetalleOut)
def obtener(comprobante_id: Id, session: SessionDep, _user: Allowed("facturacion", "ver")) -> dict:
    """The comprobante with its lines (facturas/boletas: what each line has left to credit), its credit
    instalments and every SUNAT attempt."""
    c = svc.obtener(session, comprobante_id)
    envios = svc.envios(session, c.id)
    lineas = ([_linea_out(s) for s in notas_svc.saldos_por_linea(session, c.id)] if c.comprobante_origen_id is None
              else [d.model_dump(mode="json", exclude={"comprobante_id"}) for d in svc.detalle(session, c.id)])
    return {**_con_saldos(session, [c])[0].model_dump(mode="json"), "lineas": lineas,
            "cuotas": [q.model_dump(mode="json", exclude={"comprobante_id", "id"}) for q in pago.cuotas(session, c.id)],
            "envios_sunat": [e.model_dump(mode="json") for e in envios]}


ARCHIVOS = {"xml": ("xml_path", "application/xml"), "cdr": ("cdr_path", "application/zip"),
            "pdf": ("pdf_path", "application/pdf")}


def _descarga(registro: object, tipo: str, documento: str, estado: str) -> Response:
    """The stored file `tipo` (xml, cdr, pdf) of a comprobante or a summary, as an attachment."""
    atributo, media = ARCHIVOS[tipo]
    clave = getattr(registro, atributo)
    if not clave:
        raise NotFound(f"El {tipo.upper()} de {documento} aún no está disponible (estado {estado})")
    nombre = clave.rsplit("/", 1)[-1]
    return Response(get_storage().get(clave), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{nombre}"'})


def _archivo(session: SessionDep, comprobante_id: int, tipo: str) -> Response:
    c = svc.obtener(session, comprobante_id)
    return _descarga(c, tipo, c.documento, c.estado_sunat)


def _media(tipo: str) -> dict:
    """Route arguments of the download of `tipo`: its media type in the OpenAPI."""
    return descarga(ARCHIVOS[tipo][1], f"{tipo.upper()} file")


@router.get("/comprobantes/{comprobante_id}/xml/", **_media("xml"))
def xml(comprobante_id: Id, session: SessionDep, _user: Allowed("facturacion", "ver")) -> Response:
    """The signed UBL 2.1 XML."""
    return _archivo(session, comprobante_id, "xml")


@router.get("/comprobantes/{comprobante_id}/cdr/", **_media("cdr"))
def cdr(comprobante_id: Id, session: SessionDep, _user: Allowed("facturacion", "ver")) -> Response:
    """SUNAT's Constancia de Recepción (zip)."""
    return _archivo(session, comprobante_id, "cdr")


@router.get("/comprobantes/{comprobante_id}/pdf/", **_media("pdf"))
def pdf(comprobante_id: Id, session: SessionDep, _user: Allowed("facturacion", "ver")) -> Response:
    return _archivo(session, comprobante_id, "pdf")


@router.post("/comprobantes/{comprobante_id}/reenviar/", status_code=202, response_model=ComprobanteOut)
def reenviar(comprobante_id: Id, session: SessionDep, _user: Allowed("facturacion", "emitir")) -> ComprobanteOut:
    """Try SUNAT now (CONTINGENCIA, PENDIENTE, ERROR). 409 for RECHAZADO: that number is void at SUNAT."""
    return _con_saldos(session, [svc.reenviar(session, comprobante_id, uuid.uuid4().hex)])[0]


@router.patch("/comprobantes/{comprobante_id}/", status_code=202, response_model=ComprobanteOut)
def corregir(comprobante_id: Id, body: CorregirIn, session: SessionDep,
             _user: Allowed("facturacion", "emitir")) -> ComprobanteOut:
    """Correct a comprobante in ERROR whose XML could not be built (see `con-error`) and resend it with
    the same number. 409 once its XML exists: a signed document is corrected with a nota."""
    return _con_saldos(session, [svc.corregir(session, comprobante_id, body.datos(), uuid.uuid4().hex)])[0]


@router.patch("/bajas/{baja_id}/", status_code=202, response_model=BajaOut)
def corregir_baja(baja_id: Id, body: CorregirBajaIn, session: SessionDep,
                  _user: Allowed("facturacion", "anular")) -> BajaOut:
    """Correct the reason of a comunicación de baja in ERROR and send it again."""
    return BajaOut.model_validate(svc.corregir_baja(session, baja_id, body.motivo, uuid.uuid4().hex))


@router.get("/con-error/", response_model=ConErrorOut)
def con_error(session: SessionDep, _user: Allowed("facturacion", "ver")) -> ConErrorOut:
    """Documents stuck on their data, waiting for a person: each with its reason (`mensaje_respuesta`)."""
    comprobantes, bajas = svc.con_error(session)
    return ConErrorOut(comprobantes=_con_saldos(session, comprobantes),
                       bajas=[BajaOut.model_validate(b) for b in bajas])


@router.post("/comprobantes/{comprobante_id}/anular/", status_code=202, response_model=ResumenOut)
def anular(comprobante_id: Id, body: AnularIn, session: SessionDep,
           _user: Allowed("facturacion", "anular")) -> ResumenOut:
    """Facturas: comunicación de baja (RA). Boletas: resumen diario with estado 3. Within 7 days. Answers the
    RA/RC (follow it at /resumenes/{identificador}/)."""
    baja = svc.anular(session, comprobante_id, body.motivo)
    return _resumen_out(resumenes_svc.obtener(session, baja["identificador"]))


@router.get("/cola-contingencia/", response_model=Pagina[ComprobanteOut])
def cola_contingencia(session: SessionDep, _user: Allowed("facturacion", "ver"),
                      pagina: Annotated[Paginacion, Depends()]) -> Pagina[ComprobanteOut]:
    """Documents waiting for SUNAT to come back, in the order they will be sent."""
    comprobantes, total = svc.cola_contingencia(session, pagina)
    return pagina.pagina(_con_saldos(session, comprobantes), total)


@router.post("/resumen-diario/", status_code=202, response_model=list[ResumenOut])
def resumen_diario(session: SessionDep, _user: Allowed("facturacion", "resumen"),
                   body: ResumenIn | None = None) -> list[ResumenOut]:
    """Summarize the boletas (and boleta notes) not yet informed, issued up to `fecha` (default today, Lima),
    one RC per issue date, and send each now. An empty list: nothing was waiting."""
    fecha = body.fecha if body else None
    if fecha is not None and fecha > svc.ahora_lima().date():
        raise ValidationError("La fecha del resumen no puede ser futura", field="fecha")
    creados = svc.solicitar_resumen_diario(session, fecha)
    return [_resumen_out(resumenes_svc.obtener(session, r["identificador"])) for r in creados]


@router.get("/resumenes/", response_model=Pagina[ResumenOut])
def resumenes(session: SessionDep, _user: Allowed("facturacion", "ver"), pagina: Annotated[Paginacion, Depends()],
              tipo: Annotated[str | None, Query(pattern="^(RC|RA)$")] = None,
              estado: Annotated[str | None, Query(pattern="^(PENDIENTE|ENVIADO|ACEPTADO|RECHAZADO|ERROR)$")] = None,
              fecha: Fecha | None = None, fecha_desde: Fecha | None = None,
              fecha_hasta: Fecha | None = None) -> Pagina[ResumenOut]:
    """Resúmenes diarios (RC) and comunicaciones de baja (RA), newest first, with the documents each informs;
    `fecha` is the date of those documents."""
    filtros = resumenes_svc.FiltrosResumen(tipo, estado, fecha, fecha_desde, fecha_hasta)
    items, total = resumenes_svc.listar(session, filtros, pagina.limit, pagina.offset)
    return pagina.pagina([_resumen_out(r) for r in items], total)


@router.get("/resumenes/{identificador}/", response_model=ResumenOut)
def resumen(identificador: Identificador, session: SessionDep,
            _user: Allowed("facturacion", "ver")) -> ResumenOut:
    """One RC or RA by its identificador (RC-20261201-1, RA-20261201-1)."""
    return _resumen_out(resumenes_svc.obtener(session, identificador))


@router.get("/resumenes/{identificador}/xml/", **_media("xml"))
def resumen_xml(identificador: Identificador, session: SessionDep, _user: Allowed("facturacion", "ver")) -> Response:
    """The signed RC/RA XML (stored before it is sent, so a summary SUNAT refused can be inspected)."""
    r = resumenes_svc.obtener(session, identificador)
    return _descarga(r, "xml", r.identificador, r.estado_envio)


@router.get("/resumenes/{identificador}/cdr/", **_media("cdr"))
def resumen_cdr(identificador: Identificador, session: SessionDep, _user: Allowed("facturacion", "ver")) -> Response:
    """SUNAT's CDR (zip) of the ticket, once decided."""
    r = resumenes_svc.obtener(session, identificador)
    return _descarga(r, "cdr", r.identificador, r.estado_envio)
