"""Module 6 finance and tax: /api/finanzas/ (chart of accounts, cost centres, posting configuration, journal
entries, receivables/payables, collections/payments, exchange rates, books, PLE, tax-period close)."""

import base64
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from api.contrato import descarga, errores
from api.deps import Allowed, SessionDep
from core.errors import ValidationError
from core.schemas import Entrada, Fecha, Id, Pagina, Paginacion, PaginacionCursor, PaginaCursor, Salida, T, salida_de
from models.finanzas import CuentaPorCobrar, CuentaPorPagar, PagoCobro
from services.finanzas import asientos, cartera, cierre, estados, libros, plan, sire

router = APIRouter(prefix="/api/finanzas", tags=["finanzas"])
PaginaDep = Annotated[Paginacion, Depends()]
CursorDep = Annotated[PaginacionCursor, Depends()]


def _en_memoria(pagina: Paginacion, filas: list[T]) -> Pagina[T]:
    """One page of a short list the service reads whole (cost centres, operations, periods, a document's
    entries): the same Pagina shape and parameters as every other list."""
    return pagina.pagina(filas[pagina.offset:pagina.offset + pagina.limit], len(filas))


# --- chart of accounts ---------------------------------------------------------------------------------------


class CuentaOut(Salida):
    id: int
    codigo: str
    nombre: str
    tipo: str
    naturaleza: str
    padre_id: int | None
    acepta_movimiento: bool
    activo: bool


class SubcuentaIn(Entrada):
    codigo: str = Field(min_length=3, max_length=10, pattern="^[0-9]+$")
    nombre: str = Field(min_length=1, max_length=200)


class EstadoCuentaIn(Entrada):
    activo: bool


@router.get("/cuentas-contables/", response_model=Pagina[CuentaOut])
def listar_cuentas(session: SessionDep, _: Allowed("finanzas", "ver"), pagina: PaginaDep,
                   solo_activas: bool = False) -> Pagina[CuentaOut]:
    filas, total = plan.listar_cuentas(session, solo_activas, pagina.limit, pagina.offset)
    return pagina.pagina([CuentaOut.model_validate(c) for c in filas], total)


@router.post("/cuentas-contables/", status_code=201, response_model=CuentaOut)
def crear_subcuenta(datos: SubcuentaIn, session: SessionDep, _: Allowed("finanzas", "configurar")) -> CuentaOut:
    """A divisionaria (sub-account) of an existing PCGE account; its parent stops taking postings."""
    return CuentaOut.model_validate(plan.crear_subcuenta(session, datos.codigo, datos.nombre))


@router.patch("/cuentas-contables/{codigo}/", response_model=CuentaOut)
def cambiar_estado_cuenta(codigo: str, datos: EstadoCuentaIn, session: SessionDep,
                          _: Allowed("finanzas", "configurar")) -> CuentaOut:
    return CuentaOut.model_validate(plan.cambiar_estado_cuenta(session, codigo, datos.activo))


# --- cost centres ----------------------------------------------------------------------------------------------


class CentroOut(Salida):
    id: int
    codigo: str
    nombre: str
    sucursal_id: int | None
    predeterminado: bool
    activo: bool


class CentroIn(Entrada):
    codigo: str = Field(min_length=1, max_length=20)
    nombre: str = Field(min_length=1, max_length=100)


@router.get("/centros-costo/", response_model=Pagina[CentroOut])
def listar_centros(session: SessionDep, _: Allowed("finanzas", "ver"), pagina: PaginaDep) -> Pagina[CentroOut]:
    return _en_memoria(pagina, [CentroOut.model_validate(c) for c in plan.listar_centros(session)])


@router.post("/centros-costo/", status_code=201, response_model=CentroOut)
def crear_centro(datos: CentroIn, session: SessionDep, _: Allowed("finanzas", "configurar")) -> CentroOut:
    return CentroOut.model_validate(plan.crear_centro(session, datos.codigo, datos.nombre))


# --- accounts of each automatic posting --------------------------------------------------------------------------


class OperacionOut(Salida):
    clave: str
    descripcion: str
    cuenta: str
    cuenta_nombre: str


class OperacionIn(Entrada):
    cuenta: str = Field(min_length=2, max_length=10, pattern="^[0-9]+$", description="código PCGE (hoja)")


def _operacion(fila: tuple) -> OperacionOut:
    operacion, cuenta = fila
    return OperacionOut(clave=operacion.clave, descripcion=operacion.descripcion, cuenta=cuenta.codigo,
                        cuenta_nombre=cuenta.nombre)


@router.get("/configuracion-cuentas/", response_model=Pagina[OperacionOut])
def listar_operaciones(session: SessionDep, _: Allowed("finanzas", "ver"), pagina: PaginaDep) -> Pagina[OperacionOut]:
    return _en_memoria(pagina, [_operacion(f) for f in plan.listar_operaciones(session)])


@router.put("/configuracion-cuentas/{clave}/", response_model=OperacionOut)
def configurar_operacion(clave: str, datos: OperacionIn, session: SessionDep,
                         _: Allowed("finanzas", "configurar")) -> OperacionOut:
    plan.configurar_operacion(session, clave, datos.cuenta)
    return next(_operacion(f) for f in plan.listar_operaciones(session) if f[0].clave == clave)


# --- journal entries ----------------------------------------------------------------------------------------------


class LineaOut(Salida):
    numero: int
    cuenta: str
    centro_costo_id: int
    debe: Decimal
    haber: Decimal
    descripcion: str


class AsientoOut(Salida):
    id: int
    fecha: date
    periodo: str
    cuo: str
    descripcion: str
    referencia_tipo: str
    referencia_id: str
    origen: str
    moneda: str
    tipo_cambio: Decimal
    revierte_id: int | None
    created_at: datetime
    lineas: list[LineaOut]


class ReversionIn(Entrada):
    motivo: str = Field(min_length=1, max_length=200)


def _asiento(session: SessionDep, asiento_id: Id) -> AsientoOut:
    asiento, lineas = asientos.obtener(session, asiento_id)
    return AsientoOut(**asiento.model_dump(include=set(AsientoOut.model_fields) - {"lineas"}), lineas=[
        LineaOut(numero=linea.numero, cuenta=codigo, centro_costo_id=linea.centro_costo_id, debe=linea.debe,
                 haber=linea.haber, descripcion=linea.descripcion) for linea, codigo in lineas])


@router.post("/asientos/", status_code=201, response_model=AsientoOut)
def crear_asiento(datos: asientos.AsientoIn, session: SessionDep,
                  user: Allowed("finanzas", "contabilizar")) -> AsientoOut:
    """A manual entry: balanced, every line with a cost centre and a leaf, active account (else 400)."""
    return _asiento(session, asientos.crear_manual(session, user.id, datos))


@router.get("/asientos/{asiento_id}/", response_model=AsientoOut)
def obtener_asiento(asiento_id: Id, session: SessionDep, _: Allowed("finanzas", "ver")) -> AsientoOut:
    return _asiento(session, asiento_id)


@router.post("/asientos/{asiento_id}/revertir/", status_code=201, response_model=AsientoOut)
def revertir_asiento(asiento_id: Id, datos: ReversionIn, session: SessionDep,
                     user: Allowed("finanzas", "contabilizar")) -> AsientoOut:
    """Posted entries are immutable: the correction is a reversal entry dated today."""
    return _asiento(session, asientos.revertir(session, asiento_id, user.id, datos.motivo))


@router.get("/asientos/", response_model=Pagina[AsientoOut])
def asientos_de_documento(referencia_tipo: str, referencia_id: str, session: SessionDep,
                          _: Allowed("finanzas", "ver"), pagina: PaginaDep) -> Pagina[AsientoOut]:
    """The entries a source document caused (e.g. ?referencia_tipo=COMPROBANTE&referencia_id=12)."""
    ids = asientos.de_documento(session, referencia_tipo, referencia_id)
    return _en_memoria(pagina, [_asiento(session, i) for i in ids])


# --- receivables and payables, collections and payments -----------------------------------------------------------


CuentaCobrarOut = salida_de(CuentaPorCobrar, "CuentaCobrarOut", excluir=("saldo_pen", "created_at"),
                            doc="One instalment (cuota) of a comprobante still or once owed by the customer.")
CuentaPagarOut = salida_de(CuentaPorPagar, "CuentaPagarOut", excluir=("saldo_pen", "created_at"),
                           doc="One instalment of a supplier's invoice.")
PagoCobroOut = salida_de(PagoCobro, "PagoCobroOut", excluir=("usuario_id", "created_at"))


class TramoOut(Salida):
    documentos: int
    saldo: Decimal


class TramosOut(Salida):
    """One currency's open balances by days past due."""

    por_vencer: TramoOut
    d0_30: TramoOut = Field(alias="0_30")
    d31_60: TramoOut = Field(alias="31_60")
    d61_90: TramoOut = Field(alias="61_90")
    mas_90: TramoOut


class AntiguedadOut(Salida):
    monedas: dict[str, TramosOut] = Field(description="per currency (PEN, USD, …) with open balances")


def _filtros(estado: str | None = None, vencidas: bool | None = None, parte: str | None = None,
             cliente_id: Id | None = None, desde: Fecha | None = None, hasta: Fecha | None = None,
             moneda: str | None = None) -> cartera.FiltrosCartera:
    return cartera.FiltrosCartera(estado, vencidas, parte, cliente_id, desde, hasta, moneda)


FiltrosDep = Annotated[cartera.FiltrosCartera, Depends(_filtros)]


def _cartera(ruta: str, cobrar: bool, salida: type[Salida]) -> None:
    """The list and the aging of one side (receivables or payables): the same filters, the same buckets."""
    lado = "cobrar" if cobrar else "pagar"

    @router.get(f"/{ruta}/", response_model=Pagina[salida], name=f"cuentas_{lado}")
    def listar(session: SessionDep, _: Allowed("finanzas", "ver"), filtros: FiltrosDep,
               pagina: PaginaDep) -> Pagina:
        """Filters: estado, vencidas, parte (RUC/DNI or name), cliente_id, desde/hasta (emisión), moneda.
        One row per instalment (cuota)."""
        filas, total = cartera.listar(session, cobrar, filtros, pagina.limit, pagina.offset)
        return pagina.pagina([salida.model_validate(f) for f in filas], total)

    @router.get(f"/{ruta}/antiguedad/", response_model=AntiguedadOut, name=f"antiguedad_{lado}")
    def antiguedad(session: SessionDep, _: Allowed("finanzas", "ver"), filtros: FiltrosDep,
                   al: Fecha | None = None) -> AntiguedadOut:
        """Open balances per currency by days past due (per instalment): por_vencer, 0_30, 31_60, 61_90,
        mas_90."""
        return AntiguedadOut.model_validate({"monedas": cartera.antiguedad(session, cobrar, filtros, al)})


_cartera("cuentas-cobrar", True, CuentaCobrarOut)
_cartera("cuentas-pagar", False, CuentaPagarOut)


@router.post("/cuentas-pagar/", status_code=201, response_model=CuentaPagarOut)
def registrar_factura_proveedor(datos: cartera.FacturaProveedorIn, session: SessionDep,
                                user: Allowed("finanzas", "contabilizar")) -> CuentaPagarOut:
    """A supplier invoice: its entry (6011/6091/40111 D · 4212 H) and its cuenta por pagar."""
    return CuentaPagarOut.model_validate(cartera.registrar_factura_proveedor(session, user.id, datos))


@router.post("/cobros/", status_code=201, response_model=list[PagoCobroOut], responses=errores(404))
def registrar_cobro(datos: cartera.PagoCobroIn, session: SessionDep,
                    user: Allowed("finanzas", "cobrar")) -> list[PagoCobroOut]:
    """Total or partial; one collection may settle several documents of one customer; the exchange difference
    against each document's rate posts to 776/676."""
    return [PagoCobroOut.model_validate(p) for p in cartera.registrar_cobro(session, user.id, datos)]


@router.post("/pagos/", status_code=201, response_model=list[PagoCobroOut], responses=errores(404))
def registrar_pago(datos: cartera.PagoCobroIn, session: SessionDep,
                   user: Allowed("finanzas", "pagar")) -> list[PagoCobroOut]:
    return [PagoCobroOut.model_validate(p) for p in cartera.registrar_pago(session, user.id, datos)]


# --- exchange rates ---------------------------------------------------------------------------------------------


class TipoCambioOut(Salida):
    fecha: date
    moneda: str
    compra: Decimal
    venta: Decimal
    fuente: str


@router.post("/tipos-cambio/", status_code=201, response_model=TipoCambioOut)
def registrar_tipo_cambio(datos: cartera.TipoCambioIn, session: SessionDep,
                          _: Allowed("finanzas", "configurar")) -> TipoCambioOut:
    return TipoCambioOut.model_validate(cartera.registrar_tipo_cambio(session, datos))


@router.get("/tipos-cambio/{fecha}/", response_model=TipoCambioOut)
def tipo_cambio(fecha: Fecha, session: SessionDep, _: Allowed("finanzas", "ver"), moneda: str = "USD") -> TipoCambioOut:
    """The rate of that day, or the last published before it."""
    return TipoCambioOut.model_validate(cartera.tipo_cambio_del_dia(session, fecha, moneda.upper()))


# --- books ----------------------------------------------------------------------------------------------------

Periodo = Annotated[str, Query(pattern="^[0-9]{6}$", description="AAAAMM")]


class MayorOut(Salida):
    cuenta: str
    periodo: str
    saldo_inicial: Decimal
    movimientos: PaginaCursor[libros.MovimientoMayor]


class FilaBalanceOut(Salida):
    cuenta: str
    nombre: str
    saldo_inicial: Decimal
    debe: Decimal
    haber: Decimal
    saldo_final: Decimal


class BalanceOut(Salida):
    periodo: str
    filas: list[FilaBalanceOut]
    total_debe: Decimal
    total_haber: Decimal


@router.get("/libros/diario/", response_model=PaginaCursor[AsientoOut])
def libro_diario(periodo: Periodo, session: SessionDep, _: Allowed("finanzas", "ver"), pagina: CursorDep,
                 centro_costo_id: Id | None = None) -> PaginaCursor[AsientoOut]:
    """The period's entries in (fecha, asiento) order with their lines; walk it with `?cursor=` (the previous
    page's `siguiente`): stable while entries are posted."""
    ids, total, siguiente = libros.diario(session, periodo, centro_costo_id, pagina.limit, pagina.offset,
                                          pagina.cursor)
    return pagina.pagina_cursor([_asiento(session, i) for i in ids], total, siguiente)


@router.get("/libros/mayor/", response_model=MayorOut)
def libro_mayor(periodo: Periodo, cuenta: str, session: SessionDep, _: Allowed("finanzas", "ver"),
                pagina: CursorDep, centro_costo_id: Id | None = None) -> MayorOut:
    """One account in a period: opening balance and every movement with its running balance, in (fecha,
    asiento, línea) order; walk it with `?cursor=` (the previous page's `movimientos.siguiente`)."""
    inicial, movimientos, total, siguiente = libros.mayor(session, periodo, cuenta, centro_costo_id, pagina.limit,
                                                          pagina.offset, pagina.cursor)
    return MayorOut(cuenta=cuenta, periodo=periodo, saldo_inicial=inicial,
                    movimientos=pagina.pagina_cursor(movimientos, total, siguiente))


@router.get("/reportes/balance-comprobacion/", response_model=BalanceOut)
def balance_comprobacion(periodo: Periodo, session: SessionDep, _: Allowed("finanzas", "ver")) -> BalanceOut:
    filas = libros.balance_comprobacion(session, periodo)
    debe_, haber_ = libros.totales(filas)
    return BalanceOut(periodo=periodo, filas=[FilaBalanceOut(**f.__dict__) for f in filas], total_debe=debe_,
                      total_haber=haber_)


# --- PLE and the tax-period close ---------------------------------------------------------------------------------


class PeriodoIn(Entrada):
    periodo: str = Field(pattern="^[0-9]{6}$", description="AAAAMM")


class PeriodoOut(Salida):
    id: int
    anio: int
    mes: int
    estado: str
    firmado_por: int | None
    fecha_cierre: datetime | None
    ple_generado_at: datetime | None
    ple_huella: str | None


class PleOut(Salida):
    periodo: PeriodoOut
    archivos: dict[str, str] = Field(description="nombre → sha256")
    lineas: dict[str, int]


class FirmaIn(Entrada):
    pfx_base64: str = Field(min_length=16, max_length=200_000, pattern=r"^[A-Za-z0-9+/=\s]+$")
    password: str = Field(min_length=1, max_length=200)


class FirmaOut(Salida):
    usuario_id: int
    titular: str
    vence: datetime | None


class ReaperturaIn(Entrada):
    motivo: str = Field(min_length=5, max_length=500)


@router.post("/tributario/generar-ple/", status_code=201, response_model=PleOut)
def generar_ple(datos: PeriodoIn, session: SessionDep, _: Allowed("finanzas", "contabilizar")) -> PleOut:
    """5.1, 5.3, 6.1, 8.1 and 14.1 of the period in one stored ZIP; only while the period is open."""
    generado = cierre.generar_ple(session, datos.periodo)
    return PleOut(periodo=PeriodoOut.model_validate(generado.periodo), archivos=generado.archivos,
                  lineas=generado.lineas)


@router.get("/tributario/ple/{periodo}/", **descarga("application/zip", "The period's PLE books (ZIP)"))
def descargar_ple(periodo: str, session: SessionDep, _: Allowed("finanzas", "ver")) -> Response:
    nombre, datos = cierre.zip_ple(session, periodo)
    return Response(datos, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{nombre}"'})


@router.put("/firma-digital/", response_model=FirmaOut)
def registrar_firma(datos: FirmaIn, session: SessionDep, user: Allowed("finanzas", "cerrar")) -> FirmaOut:
    """The user's own certificate (PKCS#12), stored encrypted: it signs the periods the user closes."""
    try:
        pfx = base64.b64decode(datos.pfx_base64, validate=True)
    except ValueError as exc:  # binascii.Error (bad padding) is a ValueError too
        raise ValidationError("pfx_base64 no es Base64 válido", field="pfx_base64") from exc
    return FirmaOut.model_validate(cierre.registrar_firma(session, user.id, pfx, datos.password))


@router.post("/tributario/cerrar-periodo/", response_model=PeriodoOut)
def cerrar_periodo(datos: PeriodoIn, session: SessionDep, user: Allowed("finanzas", "cerrar")) -> PeriodoOut:
    """403 without the user's digital signature; 400 listing every blocker (comprobantes without SUNAT's
    acceptance, unbalanced entries, a PLE missing or older than the data)."""
    return PeriodoOut.model_validate(cierre.cerrar(session, user.id, datos.periodo))


class RevaluacionOut(Salida):
    periodo: str
    asiento_id: int | None = Field(description="None: no open foreign-currency balance changed")


@router.post("/tributario/revaluar/", response_model=RevaluacionOut)
def revaluar(datos: PeriodoIn, session: SessionDep, user: Allowed("finanzas", "contabilizar")) -> RevaluacionOut:
    """Month-end revaluation of open USD/EUR receivables (compra) and payables (venta) → 776/676."""
    return RevaluacionOut(periodo=datos.periodo, asiento_id=cartera.revaluar(session, datos.periodo, user.id))


@router.get("/tributario/periodos/", response_model=Pagina[PeriodoOut])
def periodos(session: SessionDep, _: Allowed("finanzas", "ver"), pagina: PaginaDep) -> Pagina[PeriodoOut]:
    return _en_memoria(pagina, [PeriodoOut.model_validate(p) for p in cierre.listar(session)])


@router.get("/tributario/periodos/{periodo_id}/verificar/", response_model=cierre.Verificacion)
def verificar_periodo(periodo_id: Id, session: SessionDep, _: Allowed("finanzas", "ver")) -> cierre.Verificacion:
    return cierre.verificar(session, periodo_id)


@router.post("/tributario/periodos/{periodo_id}/reabrir/", response_model=PeriodoOut)
def reabrir_periodo(periodo_id: Id, datos: ReaperturaIn, session: SessionDep,
                    user: Allowed("finanzas", "reabrir")) -> PeriodoOut:
    """Only an ADMIN, with a reason (audited)."""
    return PeriodoOut.model_validate(cierre.reabrir(session, periodo_id, user.rol, datos.motivo))


class PropuestaIn(Entrada):
    periodo: str = Field(pattern="^[0-9]{6}$")
    contenido: str = Field(min_length=1, max_length=20_000_000, description="propuesta RVIE o RCE de SIRE (TXT con |)")


class DiferenciaOut(Salida):
    documento: str
    campos: dict[str, dict[str, str]]


class ComparacionOut(Salida):
    periodo: str
    coinciden: int
    faltan_en_sunat: list[str]
    faltan_en_erp: list[str]
    diferencias: list[DiferenciaOut]


@router.post("/tributario/sire/rvie/comparar/", response_model=ComparacionOut)
def comparar_rvie(datos: PropuestaIn, session: SessionDep, _: Allowed("finanzas", "ver")) -> ComparacionOut:
    """Our comprobantes of the period against SUNAT's RVIE proposal downloaded from SIRE."""
    return ComparacionOut(**sire.comparar_rvie(session, datos.periodo, datos.contenido).__dict__)


@router.post("/tributario/sire/rce/comparar/", response_model=ComparacionOut)
def comparar_rce(datos: PropuestaIn, session: SessionDep, _: Allowed("finanzas", "ver")) -> ComparacionOut:
    """Our registered supplier invoices of the period against SUNAT's RCE proposal downloaded from SIRE
    (documents named "<RUC proveedor> <tipo> <serie>-<número>")."""
    return ComparacionOut(**sire.comparar_rce(session, datos.periodo, datos.contenido).__dict__)


# --- financial statements ----------------------------------------------------------------------------------------


class RubroOut(Salida):
    nombre: str
    actual: Decimal
    anterior: Decimal


class SituacionOut(Salida):
    periodo: str
    anterior: str
    secciones: dict[str, list[RubroOut]]
    totales: dict[str, RubroOut]


class ResultadosOut(Salida):
    periodo: str
    anterior: str
    rubros: list[RubroOut]
    resultado: RubroOut


EXPORTABLE = {200: {"content": {estados.XLSX: {"schema": {"type": "string", "format": "binary"}},
                                "application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                    "description": "JSON, the xlsx workbook with ?formato=xlsx or the PDF with ?formato=pdf"}}
Formato = Annotated[str, Query(pattern="^(json|xlsx|pdf)$")]


def _estado(session: SessionDep, estado: str, datos: dict, formato: str, salida: type[Salida]) -> Salida | Response:
    if formato == "json":
        return salida.model_validate(datos, from_attributes=True)
    contenido, tipo = estados.exportar(session, estado, datos, formato)
    nombre = f"{'situacion_financiera' if estado == 'situacion' else 'estado_resultados'}_{datos['periodo']}.{formato}"
    return Response(contenido, media_type=tipo, headers={"Content-Disposition": f'attachment; filename="{nombre}"'})


@router.get("/reportes/balance-general/", response_model=SituacionOut, responses=EXPORTABLE)
def balance_general(periodo: Periodo, session: SessionDep, _: Allowed("finanzas", "ver"),
                    formato: Formato = "json") -> SituacionOut | Response:
    """Estado de situación financiera at the end of the period, the previous period beside it."""
    return _estado(session, "situacion", estados.situacion_financiera(session, periodo), formato, SituacionOut)


@router.get("/reportes/estado-resultados/", response_model=ResultadosOut, responses=EXPORTABLE)
def estado_resultados(periodo: Periodo, session: SessionDep, _: Allowed("finanzas", "ver"),
                      formato: Formato = "json") -> ResultadosOut | Response:
    """Estado de resultados (by nature) of the period, the previous period beside it."""
    return _estado(session, "resultados", estados.estado_resultados(session, periodo), formato, ResultadosOut)
