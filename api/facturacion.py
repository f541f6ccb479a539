"""Module 3 endpoints: /api/facturacion/..."""

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from api.deps import Allowed, SessionDep
from core.errors import NotFound
from core.schemas import Entrada
from integrations.storage import get_storage
from services import facturacion as svc

router = APIRouter(prefix="/api/facturacion", tags=["facturacion"])

Texto = Annotated[str, Field(max_length=200)]


class ClienteIn(Entrada):
    tipo_documento: Annotated[str, Field(min_length=1, max_length=1)]
    numero_documento: Annotated[str, Field(min_length=1, max_length=15)]
    razon_social: Texto
    direccion: Annotated[str, Field(max_length=300)] = ""
    email: EmailStr | None = None


class LineaIn(Entrada):
    codigo_producto: Annotated[str, Field(min_length=1, max_length=30)]
    descripcion: Annotated[str, Field(min_length=1, max_length=500)]
    cantidad: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=4)]
    valor_unitario: Annotated[Decimal, Field(ge=0, max_digits=22, decimal_places=10)]
    unidad_medida: Annotated[str, Field(max_length=3)] = "NIU"
    afectacion_igv: Annotated[str, Field(max_length=2)] = "10"

    def datos(self) -> svc.LineaDatos:
        return svc.LineaDatos(**self.model_dump())


class EmitirIn(Entrada):
    tipo: Annotated[str | None, Field(pattern="^(01|03)$")] = None
    cliente: ClienteIn
    lineas: Annotated[list[LineaIn], Field(min_length=1, max_length=1000)]
    moneda: Annotated[str, Field(min_length=3, max_length=3)] = "PEN"
    tipo_cambio: Annotated[Decimal | None, Field(gt=0, max_digits=10, decimal_places=4)] = None


class NotaIn(Entrada):
    tipo: Annotated[str, Field(pattern="^(07|08)$")]
    comprobante_origen_id: int
    motivo_codigo: Annotated[str, Field(min_length=2, max_length=2)]
    motivo_descripcion: Annotated[str, Field(min_length=1, max_length=250)]
    lineas: Annotated[list[LineaIn], Field(max_length=1000)] = []


class AnularIn(Entrada):
    motivo: Annotated[str, Field(min_length=1, max_length=100)]


class ResumenIn(Entrada):
    fecha: date | None = None


class ComprobanteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    tipo: str
    serie: str
    numero: int
    fecha_emision: date
    hora_emision: time
    cliente_tipo_doc: str
    cliente_numero_doc: str
    cliente_razon_social: str
    moneda: str
    total_gravada: Decimal
    total_exonerada: Decimal
    total_inafecta: Decimal
    total_igv: Decimal
    total_venta: Decimal
    estado_sunat: str
    codigo_respuesta: str | None
    mensaje_respuesta: str | None
    hash: str | None
    qr: str | None
    modo_emision: str
    venta_id: int | None
    comprobante_origen_id: int | None
    motivo_codigo: str | None
    created_at: datetime


def _out(c: object) -> ComprobanteOut:
    return ComprobanteOut.model_validate(c)


@router.post("/emitir/", status_code=201, response_model=ComprobanteOut)
def emitir(body: EmitirIn, session: SessionDep, _user: Allowed("facturacion", "emitir")) -> ComprobanteOut:
    """Number the comprobante and send it to SUNAT in the background (estado starts PENDIENTE)."""
    cliente = svc.ClienteDatos(**body.cliente.model_dump(exclude={"email"}), email=body.cliente.email or "")
    datos = svc.DatosEmision(cliente=cliente, lineas=[linea.datos() for linea in body.lineas], tipo=body.tipo,
                             moneda=body.moneda, tipo_cambio=body.tipo_cambio)
    return _out(svc.emitir(session, datos))


@router.post("/notas/", status_code=201, response_model=ComprobanteOut)
def emitir_nota(body: NotaIn, session: SessionDep, _user: Allowed("facturacion", "emitir")) -> ComprobanteOut:
    """Nota de crédito (motivo catálogo 09) or débito (catálogo 10) on an accepted comprobante."""
    datos = svc.DatosNota(body.tipo, body.comprobante_origen_id, body.motivo_codigo, body.motivo_descripcion,
                          [linea.datos() for linea in body.lineas])
    return _out(svc.emitir_nota(session, datos))


@router.get("/comprobantes/", response_model=list[ComprobanteOut])
def listar(session: SessionDep, _user: Allowed("facturacion", "ver"), estado: str | None = None,
           tipo: Annotated[str | None, Query(pattern="^(01|03|07|08)$")] = None,
           fecha_desde: date | None = None, fecha_hasta: date | None = None,
           cliente: Annotated[str | None, Query(max_length=100)] = None,
           limite: Annotated[int, Query(ge=1, le=500)] = 100, desde: Annotated[int, Query(ge=0)] = 0,
           ) -> list[ComprobanteOut]:
    filtros = svc.Filtros(estado, tipo, fecha_desde, fecha_hasta, cliente, limite, desde)
    return [_out(c) for c in svc.listar(session, filtros)]


@router.get("/comprobantes/{comprobante_id}/")
def obtener(comprobante_id: int, session: SessionDep, _user: Allowed("facturacion", "ver")) -> dict:
    """The comprobante with its lines and every SUNAT attempt."""
    c = svc.obtener(session, comprobante_id)
    envios = svc.envios(session, c.id)
    return {**_out(c).model_dump(mode="json"),
            "lineas": [d.model_dump(mode="json", exclude={"comprobante_id"}) for d in svc.detalle(session, c.id)],
            "envios_sunat": [e.model_dump(mode="json") for e in envios]}


ARCHIVOS = {"xml": ("xml_path", "application/xml"), "cdr": ("cdr_path", "application/zip"),
            "pdf": ("pdf_path", "application/pdf")}


def _archivo(session: SessionDep, comprobante_id: int, tipo: str) -> Response:
    c = svc.obtener(session, comprobante_id)
    atributo, media = ARCHIVOS[tipo]
    clave = getattr(c, atributo)
    if not clave:
        raise NotFound(f"El {tipo.upper()} de {c.documento} aún no está disponible (estado {c.estado_sunat})")
    nombre = clave.rsplit("/", 1)[-1]
    return Response(get_storage().get(clave), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{nombre}"'})


@router.get("/comprobantes/{comprobante_id}/xml/")
def xml(comprobante_id: int, session: SessionDep, _user: Allowed("facturacion", "ver")) -> Response:
    """The signed UBL 2.1 XML."""
    return _archivo(session, comprobante_id, "xml")


@router.get("/comprobantes/{comprobante_id}/cdr/")
def cdr(comprobante_id: int, session: SessionDep, _user: Allowed("facturacion", "ver")) -> Response:
    """SUNAT's Constancia de Recepción (zip)."""
    return _archivo(session, comprobante_id, "cdr")


@router.get("/comprobantes/{comprobante_id}/pdf/")
def pdf(comprobante_id: int, session: SessionDep, _user: Allowed("facturacion", "ver")) -> Response:
    return _archivo(session, comprobante_id, "pdf")


@router.post("/comprobantes/{comprobante_id}/reenviar/", status_code=202, response_model=ComprobanteOut)
def reenviar(comprobante_id: int, session: SessionDep, _user: Allowed("facturacion", "emitir")) -> ComprobanteOut:
    """Try SUNAT now (CONTINGENCIA, PENDIENTE, ERROR). 409 for RECHAZADO: that number is void at SUNAT."""
    return _out(svc.reenviar(session, comprobante_id, uuid.uuid4().hex))


@router.post("/comprobantes/{comprobante_id}/anular/", status_code=202)
def anular(comprobante_id: int, body: AnularIn, session: SessionDep,
           _user: Allowed("facturacion", "anular")) -> dict:
    """Facturas: comunicación de baja (RA). Boletas: resumen diario with estado 3. Within 7 days."""
    return svc.anular(session, comprobante_id, body.motivo)


@router.get("/cola-contingencia/", response_model=list[ComprobanteOut])
def cola_contingencia(session: SessionDep, _user: Allowed("facturacion", "ver")) -> list[ComprobanteOut]:
    """Documents waiting for SUNAT to come back, in the order they will be sent."""
    return [_out(c) for c in svc.cola_contingencia(session)]


@router.post("/resumen-diario/", status_code=202)
def resumen_diario(session: SessionDep, _user: Allowed("facturacion", "resumen"),
                   body: ResumenIn | None = None) -> list[dict]:
    """Summarize the boletas not yet informed (up to `fecha`, default today) and send each RC now."""
    return svc.solicitar_resumen_diario(session, body.fecha if body else None)
