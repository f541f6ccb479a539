"""Reading resúmenes diarios (RC) and comunicaciones de baja (RA): what was sent to SUNAT, its ticket and answer,
and the documents each one informs. Both live in their own tables with their own ids; the business key that
tells them apart everywhere (API paths, file names, workflow ids) is the identificador, RC-YYYYMMDD-N or
RA-YYYYMMDD-N."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, literal, select, union_all
from sqlmodel import Session

from core.errors import NotFound
from models.facturacion import Comprobante, ComunicacionBaja, ResumenDiario, ResumenDiarioItem
from services.facturacion import workflow_resumen

TIPOS = {"RC": ResumenDiario, "RA": ComunicacionBaja}


@dataclass
class FiltrosResumen:
    tipo: str | None = None  # RC | RA
    estado: str | None = None  # estado_envio
    fecha: date | None = None  # the date of the documents informed (RC fecha, RA fecha_referencia)
    fecha_desde: date | None = None
    fecha_hasta: date | None = None


@dataclass
class DocumentoInformado:
    comprobante_id: int
    tipo: str
    serie: str
    numero: int
    estado_sunat: str
    total_venta: object
    condicion: str  # catálogo 19: 1 adicionar, 3 anular (an RA always voids: 3)
    motivo: str | None = None  # RA: the reason given for the voiding

    @property
    def documento(self) -> str:
        return f"{self.serie}-{self.numero}"


@dataclass
class Resumen:
    tipo: str  # RC | RA
    id: int
    identificador: str
    fecha: date
    fecha_generacion: date
    cantidad_documentos: int
    estado_envio: str
    codigo_ticket: str | None
    codigo_respuesta: str | None
    mensaje_respuesta: str | None
    xml_path: str | None
    cdr_path: str | None
    created_at: datetime
    documentos: list[DocumentoInformado] = field(default_factory=list)

    @property
    def workflow_id(self) -> str:
        return workflow_resumen(self.tipo, self.identificador)


def _fecha(modelo: type) -> object:
    return ResumenDiario.fecha if modelo is ResumenDiario else ComunicacionBaja.fecha_referencia


def _ids(tipo: str, modelo: type, f: FiltrosResumen):  # noqa: ANN202 - a SQLAlchemy select
    fecha = _fecha(modelo)
    q = select(literal(tipo).label("tipo"), modelo.id.label("id"), modelo.created_at.label("created_at"))
    if f.estado:
        q = q.where(modelo.estado_envio == f.estado.upper())
    if f.fecha:
        q = q.where(fecha == f.fecha)
    if f.fecha_desde:
        q = q.where(fecha >= f.fecha_desde)
    if f.fecha_hasta:
        q = q.where(fecha <= f.fecha_hasta)
    return q


def _documentos(session: Session, registros: list[ResumenDiario | ComunicacionBaja],
                tipo: str) -> dict[int, list[DocumentoInformado]]:
    if not registros:
        return {}
    if tipo == "RA":
        comprobantes = {c.id: c for c in session.execute(select(Comprobante).where(
            Comprobante.id.in_([r.comprobante_id for r in registros]))).scalars()}
        return {r.id: [_informado(comprobantes[r.comprobante_id], "3", r.motivo)] for r in registros}
    salida: dict[int, list[DocumentoInformado]] = {r.id: [] for r in registros}
    filas = session.execute(select(ResumenDiarioItem, Comprobante).join(
        Comprobante, Comprobante.id == ResumenDiarioItem.comprobante_id).where(
        ResumenDiarioItem.resumen_id.in_(salida)).order_by(Comprobante.tipo, Comprobante.serie, Comprobante.numero))
    for item, c in filas:
        salida[item.resumen_id].append(_informado(c, item.condicion))
    return salida


def _informado(c: Comprobante, condicion: str, motivo: str | None = None) -> DocumentoInformado:
    return DocumentoInformado(c.id, c.tipo, c.serie, c.numero, c.estado_sunat, c.total_venta, condicion, motivo)


def _resumen(tipo: str, r: ResumenDiario | ComunicacionBaja, documentos: list[DocumentoInformado]) -> Resumen:
    return Resumen(tipo, r.id, r.identificador, r.fecha if tipo == "RC" else r.fecha_referencia, r.fecha_generacion,
                   len(documentos), r.estado_envio, r.codigo_ticket, r.codigo_respuesta, r.mensaje_respuesta,
                   r.xml_path, r.cdr_path, r.created_at, documentos)


def _cargar(session: Session, claves: list[tuple[str, int]]) -> list[Resumen]:
    """The summaries with these (tipo, id), in that order, each with its documents."""
    por_clave = {}
    for tipo, modelo in TIPOS.items():
        ids = [rid for t, rid in claves if t == tipo]
        registros = list(session.execute(select(modelo).where(modelo.id.in_(ids))).scalars()) if ids else []
        documentos = _documentos(session, registros, tipo)
        por_clave.update({(tipo, r.id): _resumen(tipo, r, documentos[r.id]) for r in registros})
    return [por_clave[clave] for clave in claves]


def listar(session: Session, f: FiltrosResumen, limite: int, desde: int) -> tuple[list[Resumen], int]:
    """A page of RCs and RAs, newest first, and how many match the filters."""
    partes = [_ids(tipo, modelo, f) for tipo, modelo in TIPOS.items() if f.tipo in (None, tipo)]
    todos = union_all(*partes).subquery() if len(partes) > 1 else partes[0].subquery()
    total = session.execute(select(func.count()).select_from(todos)).scalar_one()
    pagina = session.execute(select(todos.c.tipo, todos.c.id).order_by(
        todos.c.created_at.desc(), todos.c.tipo, todos.c.id.desc()).offset(desde).limit(limite)).all()
    return _cargar(session, [(tipo, rid) for tipo, rid in pagina]), total


def obtener(session: Session, identificador: str) -> Resumen:
    modelo = TIPOS.get(identificador[:2].upper())
    registro = session.execute(select(modelo).where(modelo.identificador == identificador.upper())).scalars().first() \
        if modelo is not None else None
    if registro is None:
        raise NotFound(f"No existe el resumen o comunicación de baja {identificador}")
    return _cargar(session, [(identificador[:2].upper(), registro.id)])[0]
