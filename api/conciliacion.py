"""Bank reconciliation (spec module 6, issue 14): /api/finanzas/conciliacion/ — bank accounts, statement upload
(multipart; large files in the background with progress), suggestions, confirmation and undo."""

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from pydantic import Field

from api.contrato import errores
from api.deps import Allowed, SessionDep
from core.errors import ValidationError
from core.schemas import Fecha, Id, Pagina, Paginacion, Salida, salida_de
from models.conciliacion import (
    Conciliacion,
    CuentaBancaria,
    CuentaBancariaTercero,
    ImportacionExtracto,
    MovimientoBancario,
)
from services.finanzas import conciliacion, cuentas_terceros

router = APIRouter(prefix="/api/finanzas/conciliacion", tags=["conciliacion"])
PaginaDep = Annotated[Paginacion, Depends()]

CuentaBancariaOut = salida_de(CuentaBancaria, "CuentaBancariaOut", ejemplo={
    "id": 1, "banco": "BCP", "numero": "193-2456789-0-31", "cci": "", "moneda": "PEN", "descripcion": "Recaudadora",
    "mapeo": None, "auto_confirmar": False, "umbral_auto": "0.95", "activo": True})
ImportacionOut = salida_de(ImportacionExtracto, "ImportacionOut", excluir=("contenido",), ejemplo={
    "id": 3, "cuenta_id": 1, "archivo": "movimientos.csv", "perfil": "BCP", "estado": "COMPLETADA",
    "total_lineas": 120, "procesadas": 120, "nuevas": 118, "duplicadas": 2, "error": None, "usuario_id": 1,
    "created_at": "2026-04-05T15:00:00Z", "terminado_at": "2026-04-05T15:00:01Z"})
ConciliacionOut = salida_de(Conciliacion, "ConciliacionOut", excluir=("pagos_cobros",),
                            pagos_cobros=(list[int], ...))


class DocumentoSugeridoOut(Salida):
    tipo: str
    id: int
    monto: Decimal


class SugerenciaOut(Salida):
    clase: str = Field(description="PAGO_COBRO | DOCUMENTOS | PARCIAL | TARJETA | ITF | COMISION | INTERES | "
                                   "TRASPASO | EXTORNO")
    score: float = Field(ge=0, le=1)
    razones: dict[str, str | int | float | bool | list[str]] = Field(
        description="monto_delta, dias_delta, referencia, operacion, ruc_dni, nombre (similarity), ...")
    operaciones: list[str]
    pagos_cobros: list[int]
    documentos: list[DocumentoSugeridoOut]
    gasto: Decimal = Field(description="bank fee posted beside the match (deducted fee, card commission)")
    par_id: int | None = Field(description="the line a reversal cancels")


MovimientoOut = salida_de(MovimientoBancario, "MovimientoOut", excluir=("sugerencias", "huella"),
                          sugerencias=(list[SugerenciaOut], ...))


@router.post("/cuentas/", status_code=201, response_model=CuentaBancariaOut)
def crear_cuenta(datos: conciliacion.CuentaBancariaIn, session: SessionDep,
                 _: Allowed("finanzas", "conciliar")) -> CuentaBancaria:
    return conciliacion.crear_cuenta(session, datos)


@router.get("/cuentas/", response_model=Pagina[CuentaBancariaOut])
def listar_cuentas(session: SessionDep, _: Allowed("finanzas", "ver"), pagina: PaginaDep) -> Pagina:
    return pagina.pagina(*conciliacion.listar_cuentas(session, pagina.limit, pagina.offset))


@router.patch("/cuentas/{cuenta_id}/", response_model=CuentaBancariaOut)
def cambiar_cuenta(cuenta_id: Id, datos: conciliacion.CuentaBancariaCambios, session: SessionDep,
                   _: Allowed("finanzas", "conciliar")) -> CuentaBancaria:
    """The generic profile's column mapping, auto-confirmation (off by default) and its minimum score."""
    return conciliacion.cambiar_cuenta(session, cuenta_id, datos)


@router.post("/cargar/", status_code=201, response_model=ImportacionOut,
             responses={**errores(404),
                        202: {"model": ImportacionOut, "description": "large file: parsed in the background"}})
def cargar(session: SessionDep, user: Allowed("finanzas", "conciliar"), response: Response,
           archivo: Annotated[UploadFile, File(description="the bank's CSV or Excel export")],
           cuenta_id: Annotated[Id, Form(description="cuentas_bancarias.id")]) -> ImportacionExtracto:
    """Import a statement: the bank's profile is detected from the file; lines already stored (same
    fingerprint) are counted as duplicates, not stored twice; a row the parser cannot read is a 400 naming it.
    A file over 256 KB answers 202 and is processed by a workflow: poll `importaciones/{id}/`."""
    contenido = archivo.file.read(conciliacion.MAX_BYTES + 1)
    nombre = archivo.filename or "extracto"
    if len(nombre) > 200 or any(ord(c) < 32 for c in nombre):
        raise ValidationError("Nombre de archivo no admitido", field="archivo")
    resultado = conciliacion.cargar(session, user.id, cuenta_id, nombre, contenido)
    if resultado.estado == "PENDIENTE":
        response.status_code = 202
    return resultado


@router.get("/importaciones/{importacion_id}/", response_model=ImportacionOut)
def ver_importacion(importacion_id: Id, session: SessionDep, _: Allowed("finanzas", "ver")) -> ImportacionExtracto:
    """Progress of a background import (procesadas / total_lineas, estado, the parser's error)."""
    return conciliacion.importacion(session, importacion_id)


@router.get("/sugerencias/", response_model=Pagina[MovimientoOut])
def sugerencias(session: SessionDep, _: Allowed("finanzas", "ver"), pagina: PaginaDep,
                cuenta_id: Annotated[Id | None, Query()] = None, desde: Fecha | None = None,
                hasta: Fecha | None = None, solo_ambiguos: bool = False,
                score_min: Annotated[Decimal | None, Query(ge=0, le=1, max_digits=4, decimal_places=3)] = None,
                conciliados: bool | None = False) -> Pagina:
    """Statement lines with their ranked suggestions (score in [0, 1] and reasons). Default: pending lines."""
    filas, total = conciliacion.listar(session, cuenta_id, desde, hasta, solo_ambiguos, score_min, conciliados,
                                       pagina.limit, pagina.offset)
    return pagina.pagina(filas, total)


class RecalculoOut(Salida):
    cuenta_id: int
    con_sugerencia: int = Field(description="pending lines with a top suggestion")


@router.post("/sugerencias/recalcular/", response_model=RecalculoOut, responses=errores(404))
def recalcular(session: SessionDep, _: Allowed("finanzas", "conciliar"),
               cuenta_id: Annotated[Id, Query()]) -> RecalculoOut:
    """Match the account's pending lines again (after recording collections or payments)."""
    return RecalculoOut(cuenta_id=cuenta_id, con_sugerencia=conciliacion.recalcular(session, cuenta_id))


@router.post("/confirmar/{movimiento_id}/", response_model=ConciliacionOut)
def confirmar(movimiento_id: Id, datos: conciliacion.ConfirmarIn, session: SessionDep,
              user: Allowed("finanzas", "conciliar")) -> dict:
    """Accept a suggestion or choose the documents by hand: both sides `conciliado` in one transaction; what the
    bank did on its own (ITF, fees, interest) is posted. Repeating the same confirmation answers the same."""
    return conciliacion.conciliacion_dict(conciliacion.confirmar(session, user.id, movimiento_id, datos))


@router.post("/deshacer/{movimiento_id}/", response_model=ConciliacionOut)
def deshacer(movimiento_id: Id, datos: conciliacion.DeshacerIn, session: SessionDep,
             user: Allowed("finanzas", "conciliar")) -> dict:
    """Undo a confirmation (with a reason) while the line's period is open; the entry it posted is reversed."""
    return conciliacion.conciliacion_dict(conciliacion.deshacer(session, user.id, movimiento_id, datos.motivo))


# --- customers' and suppliers' bank accounts (evidence for the matcher) ----------------------------------------

CuentaTerceroOut = salida_de(CuentaBancariaTercero, "CuentaTerceroOut", ejemplo={
    "id": 1, "cliente_id": 7, "proveedor_id": None, "banco": "BCP", "numero": "19312345678012",
    "cci": "00219300123456789012", "moneda": "PEN", "titular": "ACEROS DEL SUR S.A.", "activo": True,
    "created_at": "2026-04-05T15:00:00Z"})


@router.post("/cuentas-terceros/", status_code=201, response_model=CuentaTerceroOut)
def crear_cuenta_tercero(datos: cuentas_terceros.CuentaTerceroIn, session: SessionDep,
                         _: Allowed("finanzas", "conciliar")) -> CuentaBancariaTercero:
    """A customer's or supplier's account number and/or CCI (check digits verified, bank from its entity
    code): a statement line printing it names that party for the matcher."""
    return cuentas_terceros.crear(session, datos)


@router.get("/cuentas-terceros/", response_model=Pagina[CuentaTerceroOut])
def listar_cuentas_terceros(session: SessionDep, _: Allowed("finanzas", "ver"), pagina: PaginaDep,
                            cliente_id: Id | None = None, proveedor_id: Id | None = None) -> Pagina:
    return pagina.pagina(*cuentas_terceros.listar(session, cliente_id, proveedor_id, pagina.limit, pagina.offset))


@router.patch("/cuentas-terceros/{cuenta_id}/", response_model=CuentaTerceroOut)
def cambiar_cuenta_tercero(cuenta_id: Id, datos: cuentas_terceros.CuentaTerceroCambios, session: SessionDep,
                           _: Allowed("finanzas", "conciliar")) -> CuentaBancariaTercero:
    return cuentas_terceros.cambiar(session, cuenta_id, datos)
