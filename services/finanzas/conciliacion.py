"""Bank reconciliation (spec module 6, issue 14): bank accounts, statement import (`movimientos_bancarios`,
deduplicated by fingerprint), the matcher's suggestions kept on each line, confirmation and undo.

Import: a small file is parsed in the request (a bad row → 400 naming it, nothing stored); a large one is stored
and parsed by the `ImportarExtracto` workflow, which reports progress on its `importaciones_extracto` row.
Confirming a line sets `conciliado` on both sides in one transaction and posts what the bank did on its own
(ITF 6412, fees 6391, interest 772, a fee deducted from a transfer, the card acquirer's commission) against the
bank's account (TESORERIA_TRANSFERENCIA, 1041); a line that pays open documents records that collection or
payment too. Undo (with a reason, while the period is open) reverses the posted entry and clears both flags.
"""

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from core.db import paginar
from core.errors import Conflict, DomainError, NotFound, ValidationError
from core.outbox import request_workflow
from core.schemas import Entrada, Id
from models.base import utcnow
from models.conciliacion import Conciliacion, CuentaBancaria, ImportacionExtracto, MovimientoBancario
from models.finanzas import PagoCobro
from services.finanzas import cartera, cuentas_terceros, extractos, plan
from services.finanzas.asientos import (
    CERO,
    Asiento,
    debe,
    haber,
    redondear,
    registrar,
    registrar_reversion,
    validar_periodo_abierto,
)
from services.finanzas.motor import Documento, Linea, Motor, Operacion, Parametros, Resultado, Sugerencia
from workflows.entradas import ImportacionExtractoEntrada

Banco = Literal["BCP", "BBVA", "INTERBANK", "SCOTIABANK", "BN", "GENERICO"]
MAX_BYTES = 20 * 1024 * 1024
BYTES_EN_SEGUNDO_PLANO = 256 * 1024  # larger files are parsed by the workflow (a 2,000-line CSV is ~150 KB)
LOTE = 1000
ENLACES = ("PAGO_COBRO", "TARJETA")
REGISTRADAS = ("DOCUMENTOS", "PARCIAL")  # classes whose confirmation records the collection/payment
# What the bank did on its own: class → (posting key, concept) by direction (abono, cargo); None = impossible.
BANCARIAS: dict[str, dict[bool, tuple[str, str] | None]] = {
    "ITF": {False: ("ITF", "ITF"), True: None},
    "COMISION": {False: ("GASTOS_BANCARIOS", "Comisión bancaria"), True: None},
    "INTERES": {True: ("INTERESES_GANADOS", "Intereses ganados"),
                False: ("INTERESES_PAGADOS", "Intereses cobrados por el banco")},
}


# --- bank accounts ---------------------------------------------------------------------------------------------


class MapeoIn(Entrada):
    """Generic profile: the header of each column as it appears in the file."""

    fecha: str = Field(min_length=1, max_length=60)
    descripcion: str = Field(min_length=1, max_length=60)
    monto: str | None = Field(default=None, max_length=60, description="one signed amount column")
    cargo: str | None = Field(default=None, max_length=60)
    abono: str | None = Field(default=None, max_length=60)
    fecha_valor: str | None = Field(default=None, max_length=60)
    referencia: str | None = Field(default=None, max_length=60)
    saldo: str | None = Field(default=None, max_length=60)
    formato_fecha: Literal["DMY", "MDY", "YMD"] = "DMY"


class CuentaBancariaIn(Entrada):
    banco: Banco
    numero: str = Field(pattern=r"^[0-9][0-9-]{5,28}[0-9]$")
    cci: str = Field(default="", pattern=r"^([0-9]{20})?$")
    moneda: Literal["PEN", "USD"] = "PEN"
    descripcion: str = Field(default="", max_length=100)
    mapeo: MapeoIn | None = None


class CuentaBancariaCambios(Entrada):
    mapeo: MapeoIn | None = None
    auto_confirmar: bool | None = Field(default=None, description="off by default")
    umbral_auto: Decimal | None = Field(default=None, gt=0, le=1, max_digits=3, decimal_places=2)
    activo: bool | None = None


def _mapeo_json(mapeo: MapeoIn | None) -> str | None:
    if mapeo is None:
        return None
    extractos.perfil_generico(mapeo.model_dump(exclude_none=True))  # refuses an incomplete mapping (400)
    return json.dumps(mapeo.model_dump(exclude_none=True))


def crear_cuenta(session: Session, datos: CuentaBancariaIn) -> CuentaBancaria:
    if datos.banco == "GENERICO" and datos.mapeo is None:
        raise ValidationError("Una cuenta de perfil genérico necesita el mapeo de columnas", field="mapeo")
    cuenta = CuentaBancaria(banco=datos.banco, numero=datos.numero, cci=datos.cci, moneda=datos.moneda,
                            descripcion=datos.descripcion, mapeo=_mapeo_json(datos.mapeo))
    session.add(cuenta)
    session.commit()
    return cuenta


def cuenta(session: Session, cuenta_id: int, bloquear: bool = False) -> CuentaBancaria:
    q = select(CuentaBancaria).where(CuentaBancaria.id == cuenta_id)
    fila = session.execute(q.with_for_update() if bloquear else q).scalar_one_or_none()
    if fila is None:
        raise NotFound("Cuenta bancaria no encontrada", field="cuenta_id")
    return fila


def cambiar_cuenta(session: Session, cuenta_id: int, datos: CuentaBancariaCambios) -> CuentaBancaria:
    fila = cuenta(session, cuenta_id, bloquear=True)
    if "mapeo" in datos.model_fields_set:
        fila.mapeo = _mapeo_json(datos.mapeo)
    for campo in ("auto_confirmar", "umbral_auto", "activo"):
        if getattr(datos, campo) is not None:
            setattr(fila, campo, getattr(datos, campo))
    session.add(fila)
    session.commit()
    return fila


def listar_cuentas(session: Session, limit: int, offset: int) -> tuple[list[CuentaBancaria], int]:
    return paginar(session, select(CuentaBancaria).order_by(CuentaBancaria.id), limit, offset)


# --- import ----------------------------------------------------------------------------------------------------


def _leer(fila: CuentaBancaria, contenido: bytes) -> extractos.Extracto:
    mapeo = json.loads(fila.mapeo) if fila.mapeo else None
    return extractos.leer(contenido, None if fila.banco == "GENERICO" else fila.banco, mapeo)


def cargar(session: Session, usuario_id: int | None, cuenta_id: int, archivo: str,
           contenido: bytes) -> ImportacionExtracto:
    """POST /conciliacion/cargar/. A small file is parsed, stored and matched here (all or nothing); a large
    one is stored and handed to the ImportarExtracto workflow (estado PENDIENTE, progress on the row)."""
    fila = cuenta(session, cuenta_id)
    if not fila.activo:
        raise ValidationError("La cuenta bancaria está inactiva", field="cuenta_id")
    if len(contenido) > MAX_BYTES:
        raise ValidationError(f"El archivo supera {MAX_BYTES // (1024 * 1024)} MB", field="archivo")
    importacion = ImportacionExtracto(cuenta_id=cuenta_id, archivo=archivo[:200], usuario_id=usuario_id)
    if len(contenido) > BYTES_EN_SEGUNDO_PLANO:
        importacion.contenido = contenido
        session.add(importacion)
        session.flush()
        request_workflow(session, "ImportarExtracto", workflow_id=f"extracto-{importacion.id}",
                         payload=ImportacionExtractoEntrada(importacion.id),
                         search_attributes={"Documento": f"extracto-{importacion.id}", "Estado": "PENDIENTE"})
        session.commit()
        return importacion
    extracto = _leer(fila, contenido)  # a 400 here stores nothing
    session.add(importacion)
    session.flush()
    _guardar(session, importacion, fila, extracto, progreso=False)
    sugerir(session, cuenta_id)
    session.commit()
    return importacion


def _guardar(session: Session, importacion: ImportacionExtracto, fila: CuentaBancaria,
             extracto: extractos.Extracto, progreso: bool) -> None:
    """Insert the lines not stored yet (by fingerprint), in batches; with `progreso`, commit after each batch so
    the API shows how far the import got (a rerun skips what a crashed run stored)."""
    importacion.perfil = extracto.banco
    importacion.total_lineas = len(extracto.lineas)
    importacion.estado = "PROCESANDO"
    huellas = extractos.huellas(fila.id, extracto.lineas)
    nuevas = 0
    for inicio in range(0, len(extracto.lineas), LOTE):
        filas = [{"cuenta_id": fila.id, "importacion_id": importacion.id, "fecha": li.fecha,
                  "fecha_valor": li.fecha_valor, "descripcion": li.descripcion, "monto": li.monto,
                  "tipo": "ABONO" if li.monto > 0 else "CARGO", "referencia": li.referencia, "saldo": li.saldo,
                  "huella": h, "conciliado": False, "clase": "", "ambiguo": False}
                 for li, h in zip(extracto.lineas[inicio:inicio + LOTE], huellas[inicio:inicio + LOTE], strict=True)]
        stmt = insert(MovimientoBancario.__table__).on_conflict_do_nothing(
            constraint="uq_movimientos_bancarios_huella").returning(MovimientoBancario.__table__.c.id)
        nuevas += len(session.execute(stmt, filas).all()) if filas else 0
        importacion.procesadas = min(len(extracto.lineas), inicio + LOTE)
        session.add(importacion)
        if progreso:
            session.commit()
    stored = session.execute(select(func.count()).select_from(MovimientoBancario).where(
        MovimientoBancario.importacion_id == importacion.id)).scalar_one()
    importacion.nuevas = stored if progreso else nuevas
    importacion.duplicadas = importacion.total_lineas - importacion.nuevas
    importacion.estado = "COMPLETADA"
    importacion.contenido = None
    importacion.terminado_at = utcnow()
    session.add(importacion)


def procesar_importacion(session: Session, importacion_id: int) -> str:
    """The workflow's activity: idempotent (a completed import is left alone; a rerun inserts only what is
    missing). A file the parser refuses ends in ERROR with the parser's message (row and reason)."""
    importacion = session.get(ImportacionExtracto, importacion_id)
    if importacion is None:
        raise NotFound("Importación no encontrada")
    if importacion.estado in ("COMPLETADA", "ERROR"):
        return importacion.estado
    fila = cuenta(session, importacion.cuenta_id)
    try:
        extracto = _leer(fila, importacion.contenido or b"")
    except ValidationError as exc:
        importacion.estado, importacion.error = "ERROR", exc.message[:500]
        importacion.contenido, importacion.terminado_at = None, utcnow()
        session.add(importacion)
        session.commit()
        return importacion.estado
    _guardar(session, importacion, fila, extracto, progreso=True)
    session.commit()
    sugerir(session, fila.id)
    session.commit()
    return importacion.estado


def importacion(session: Session, importacion_id: int) -> ImportacionExtracto:
    fila = session.get(ImportacionExtracto, importacion_id)
    if fila is None:
        raise NotFound("Importación no encontrada")
    return fila


# --- matching --------------------------------------------------------------------------------------------------


def _operaciones(session: Session, moneda: str, desde: date, hasta: date) -> list[Operacion]:
    """Unreconciled collections/payments of the period, one per `operacion`, with the party and documents."""
    filas = session.execute(text("""
        SELECT p.operacion, array_agg(p.id ORDER BY p.id) AS ids, min(p.tipo) AS tipo, sum(p.monto) AS monto,
               min(p.fecha) AS fecha, min(p.metodo_pago) AS metodo, min(p.referencia) AS referencia,
               min(coalesce(c.cliente_numero_doc, v.proveedor_ruc)) AS parte_doc,
               min(coalesce(c.cliente_razon_social, v.proveedor_razon_social)) AS parte_nombre,
               array_agg(coalesce(c.documento, v.documento) ORDER BY p.id) AS documentos
          FROM pagos_cobros p
          LEFT JOIN cuentas_por_cobrar c ON c.id = p.cuenta_cobrar_id
          LEFT JOIN cuentas_por_pagar v ON v.id = p.cuenta_pagar_id
         WHERE NOT p.conciliado AND NOT p.anulado AND p.moneda = :moneda AND p.metodo_pago <> 'EFECTIVO'
           AND p.fecha BETWEEN :desde AND :hasta
         GROUP BY p.operacion"""), {"moneda": moneda, "desde": desde, "hasta": hasta})
    return [Operacion(f.operacion, tuple(f.ids), f.tipo, f.monto, moneda, f.fecha, f.metodo, f.referencia or "",
                      f.parte_doc, f.parte_nombre, tuple(f.documentos)) for f in filas]


def _documentos(session: Session, moneda: str) -> list[Documento]:
    filas = session.execute(text("""
        SELECT 'CXC' AS tipo, id, documento, cliente_numero_doc AS parte_doc, cliente_razon_social AS parte_nombre,
               saldo, fecha_emision, fecha_vencimiento FROM cuentas_por_cobrar WHERE saldo > 0 AND moneda = :m
        UNION ALL
        SELECT 'CXP', id, documento, proveedor_ruc, proveedor_razon_social, saldo, fecha_emision, fecha_vencimiento
          FROM cuentas_por_pagar WHERE saldo > 0 AND moneda = :m"""), {"m": moneda})
    return [Documento(f.id, f.tipo, f.documento, f.parte_doc, f.parte_nombre, f.saldo, moneda, f.fecha_emision,
                      f.fecha_vencimiento) for f in filas]


def _clasificar(s: Sugerencia, monto: Decimal, codigos: dict[str, str]) -> Sugerencia:
    """The PCGE account the suggestion would post to, among its reasons (the accountant sees the
    classification before confirming): a bank charge's or interest's account, a deducted fee's."""
    if s.clase in BANCARIAS and (destino := BANCARIAS[s.clase][monto > 0]) is not None:
        s.razones["cuenta"] = codigos[destino[0]]
    elif s.gasto > 0:
        s.razones["cuenta_gasto"] = codigos["GASTOS_BANCARIOS"]
    return s


def _sugerencia_json(s: Sugerencia) -> dict:
    return {"clase": s.clase, "score": s.score, "razones": s.razones, "operaciones": list(s.operaciones),
            "pagos_cobros": list(s.pagos_cobros), "gasto": str(s.gasto), "par_id": s.par_id,
            "documentos": [{"tipo": t, "id": i, "monto": str(m)} for t, i, m in s.documentos]}


def sugerir(session: Session, cuenta_id: int, parametros: Parametros | None = None) -> int:
    """Run the matcher over the account's unreconciled lines and keep each line's ranked suggestions (in the
    caller's transaction). Auto-confirms what the account allows. Returns how many lines were matched."""
    fila = cuenta(session, cuenta_id)
    t = MovimientoBancario.__table__.c
    lineas = [Linea(*f) for f in session.execute(select(t.id, t.fecha, t.descripcion, t.monto, t.referencia,
                                                        t.fecha_valor).where(t.cuenta_id == cuenta_id,
                                                                             t.conciliado.is_(False)))]
    if not lineas:
        return 0
    propias = tuple(session.execute(select(CuentaBancaria.numero).where(CuentaBancaria.id != cuenta_id)).scalars())
    p = parametros or Parametros(cuentas_propias=propias)
    margen = timedelta(days=p.dias + 5)
    desde = min(li.fecha for li in lineas) - margen
    hasta = max(max(li.fecha, li.fecha_valor or li.fecha) for li in lineas) + margen
    motor = Motor(_operaciones(session, fila.moneda, desde, hasta), _documentos(session, fila.moneda), p,
                  cuentas_terceros.por_parte(session))
    resultados = motor.conciliar(lineas, fila.moneda)
    codigos = {op.clave: c.codigo for op, c in plan.listar_operaciones(session)}
    montos = {li.id: li.monto for li in lineas}
    for r in resultados:
        r.sugerencias = [_clasificar(s, montos[r.linea_id], codigos) for s in r.sugerencias]
    filas = [_fila_resultado(r) for r in resultados]
    session.execute(_GUARDAR_SUGERENCIAS, {k: [f[k] for f in filas] for k in filas[0]})
    if fila.auto_confirmar:
        _auto_confirmar(session, fila, resultados)
    return sum(1 for r in resultados if r.mejor is not None)


_GUARDAR_SUGERENCIAS = text("""
    UPDATE movimientos_bancarios m SET clase = u.clase, score = u.score, ambiguo = u.ambiguo,
           sugerencias = u.sugerencias
      FROM unnest(CAST(:b_id AS int[]), CAST(:b_clase AS text[]), CAST(:b_score AS numeric[]),
                  CAST(:b_ambiguo AS bool[]), CAST(:b_sugerencias AS text[]))
           AS u(id, clase, score, ambiguo, sugerencias)
     WHERE m.id = u.id""")  # one statement for every line (an executemany of 5,000 UPDATEs takes seconds)


def _fila_resultado(r: Resultado) -> dict:
    mejor = r.mejor
    return {"b_id": r.linea_id, "b_clase": mejor.clase if mejor else ("AMBIGUO" if r.ambiguo else ""),
            "b_score": Decimal(str(r.sugerencias[0].score)) if r.sugerencias else None, "b_ambiguo": r.ambiguo,
            "b_sugerencias": json.dumps([_sugerencia_json(s) for s in r.sugerencias[:5]])}


def _auto_confirmar(session: Session, fila: CuentaBancaria, resultados: list[Resultado]) -> None:
    """Only links to what the system already recorded and the bank's own charges: recording a collection of
    open documents, or pairing a reversal, stays a human decision."""
    for r in resultados:
        mejor = r.mejor
        if mejor is not None and Decimal(str(mejor.score)) >= fila.umbral_auto and \
                mejor.clase in (*ENLACES, *BANCARIAS, "TRASPASO"):
            try:
                with session.begin_nested():  # one that cannot be confirmed (no exchange rate...) stays pending
                    _confirmar(session, None, r.linea_id, ConfirmarIn(), automatica=True)
            except DomainError:
                continue


def recalcular(session: Session, cuenta_id: int) -> int:
    """After new collections/payments are recorded: suggestions again for the account's open lines."""
    n = sugerir(session, cuenta_id)
    session.commit()
    return n


# --- suggestions list ------------------------------------------------------------------------------------------


def listar(session: Session, cuenta_id: int | None, desde: date | None, hasta: date | None, solo_ambiguos: bool,
           score_min: Decimal | None, conciliados: bool | None, limit: int,
           offset: int) -> tuple[list[dict], int]:
    q = select(MovimientoBancario)
    if cuenta_id is not None:
        q = q.where(MovimientoBancario.cuenta_id == cuenta_id)
    if desde:
        q = q.where(MovimientoBancario.fecha >= desde)
    if hasta:
        q = q.where(MovimientoBancario.fecha <= hasta)
    if solo_ambiguos:
        q = q.where(MovimientoBancario.ambiguo.is_(True))
    if score_min is not None:
        q = q.where(MovimientoBancario.score >= score_min)
    q = q.where(MovimientoBancario.conciliado.is_(bool(conciliados))) if conciliados is not None else q
    filas, total = paginar(session, q.order_by(MovimientoBancario.fecha.desc(), MovimientoBancario.id), limit,
                           offset)
    return [movimiento_dict(m) for m in filas], total


def movimiento_dict(m: MovimientoBancario) -> dict:
    datos = m.model_dump(exclude={"sugerencias", "huella"})
    datos["sugerencias"] = json.loads(m.sugerencias or "[]")
    return datos


def movimiento(session: Session, movimiento_id: int, bloquear: bool = False) -> MovimientoBancario:
    q = select(MovimientoBancario).where(MovimientoBancario.id == movimiento_id)
    fila = session.execute(q.with_for_update() if bloquear else q).scalar_one_or_none()
    if fila is None:
        raise NotFound("Movimiento bancario no encontrado")
    return fila


# --- confirm / undo --------------------------------------------------------------------------------------------


class DocumentoIn(Entrada):
    tipo: Literal["CXC", "CXP"]
    id: Id
    monto: Decimal = Field(gt=0, max_digits=14, decimal_places=2)


class ConfirmarIn(Entrada):
    """Accept the suggestion ranked `sugerencia` (default: the top one), or choose by hand: recorded
    pagos_cobros, open documents to settle with this line, or a bank-side class (ITF, fee, interest,
    own-account transfer) to post."""

    sugerencia: int | None = Field(default=None, ge=0, le=4)
    pagos_cobros: list[Id] | None = Field(default=None, min_length=1, max_length=200)
    documentos: list[DocumentoIn] | None = Field(default=None, min_length=1, max_length=50)
    clase: Literal["ITF", "COMISION", "INTERES", "TRASPASO"] | None = None


def _eleccion(m: MovimientoBancario, datos: ConfirmarIn) -> Sugerencia:
    manual = [x for x in (datos.pagos_cobros, datos.documentos, datos.clase) if x is not None]
    if len(manual) > 1 or (manual and datos.sugerencia is not None):
        raise ValidationError("Elija una sugerencia, o pagos_cobros, o documentos, o una clase", field="sugerencia")
    if datos.pagos_cobros is not None:
        return Sugerencia("PAGO_COBRO", 1.0, {"manual": True}, pagos_cobros=tuple(datos.pagos_cobros))
    if datos.documentos is not None:
        return Sugerencia("DOCUMENTOS", 1.0, {"manual": True},
                          documentos=tuple((d.tipo, d.id, d.monto) for d in datos.documentos))
    if datos.clase is not None:
        return Sugerencia(datos.clase, 1.0, {"manual": True})
    sugerencias = json.loads(m.sugerencias or "[]")
    indice = datos.sugerencia or 0
    if m.ambiguo and datos.sugerencia is None:
        raise ValidationError("El movimiento es ambiguo: elija la sugerencia (índice) o los documentos",
                              field="sugerencia")
    if indice >= len(sugerencias):
        raise ValidationError("El movimiento no tiene esa sugerencia", field="sugerencia")
    s = sugerencias[indice]
    return Sugerencia(s["clase"], s["score"], s["razones"], tuple(s["operaciones"]), tuple(s["pagos_cobros"]),
                      tuple((d["tipo"], d["id"], Decimal(d["monto"])) for d in s["documentos"]), Decimal(s["gasto"]),
                      s["par_id"])


def _bancaria(clase: str, monto: Decimal) -> tuple[str, str]:
    """(posting key, concept) of a bank-side line: interest earned (abono, 772) or charged (cargo, 673); ITF
    (6412) and fees (6391) are charges."""
    destino = BANCARIAS[clase][monto > 0]
    if destino is None:
        raise ValidationError("El ITF y las comisiones son un cargo; un abono del banco es un interés o un extorno",
                              field="clase")
    return destino


def _en_pen(session: Session, monto: Decimal, moneda: str, fecha: date) -> tuple[Decimal, Decimal]:
    if moneda == "PEN":
        return monto, Decimal("1")
    tasa = cartera.tipo_cambio_del_dia(session, fecha, moneda).compra
    return redondear(monto * tasa), tasa


def _asiento_bancario(session: Session, usuario_id: int | None, m: MovimientoBancario, fila: CuentaBancaria,
                      clave: str, monto: Decimal, concepto: str) -> int:
    """What the bank did on its own, against the bank account: expense D · 1041 H, or 1041 D · income H."""
    cuentas = plan.cuentas_operacion(session)
    banco, contrapartida = cuentas["TESORERIA_TRANSFERENCIA"], cuentas[clave]
    pen, tasa = _en_pen(session, abs(monto), fila.moneda, m.fecha)
    lineas = [debe(banco, pen, concepto), haber(contrapartida, pen, concepto)] if monto > 0 else \
        [debe(contrapartida, pen, concepto), haber(banco, pen, concepto)]
    return registrar(session, Asiento(
        fecha=m.fecha, descripcion=f"{concepto}: {m.descripcion}"[:300], referencia_tipo="CONCILIACION",
        referencia_id=str(m.id), centro_costo_id=plan.centro_general(session), usuario_id=usuario_id,
        moneda=fila.moneda, tipo_cambio=tasa, movimientos=lineas))


def _pagos(session: Session, m: MovimientoBancario, fila: CuentaBancaria, ids: tuple[int, ...]) -> list[PagoCobro]:
    pagos = cartera.pendientes(session, ids)
    for p in pagos:
        if p.moneda != fila.moneda or (p.tipo == "COBRO") != (m.monto > 0):
            raise ValidationError(f"{p.operacion} no es un {'cobro' if m.monto > 0 else 'pago'} en {fila.moneda}",
                                  field="pagos_cobros")
    return pagos


def _registrar_documentos(session: Session, usuario_id: int | None, m: MovimientoBancario, fila: CuentaBancaria,
                          documentos: tuple[tuple[str, int, Decimal], ...]) -> list[PagoCobro]:
    """The collection (or payment) the line proves, recorded now for the documents it settles."""
    cobro = m.monto > 0
    if any(t != ("CXC" if cobro else "CXP") for t, _, _ in documentos):
        raise ValidationError("Un abono liquida cuentas por cobrar; un cargo, cuentas por pagar", field="documentos")
    total = sum((monto for _, _, monto in documentos), CERO)
    if total > abs(m.monto) + Decimal("0.10"):
        raise ValidationError(f"Los documentos ({total}) suman más que el movimiento ({abs(m.monto)})",
                              field="documentos")
    datos = cartera.PagoCobroIn(fecha=m.fecha, metodo_pago="TRANSFERENCIA", moneda=fila.moneda,
                                referencia=(m.referencia or f"EXTRACTO-{m.id}")[:100],
                                documentos=[cartera.AplicacionIn(documento_id=i, monto=monto)
                                            for _, i, monto in documentos])
    return cartera.aplicar(session, usuario_id, datos, cobro)


def confirmar(session: Session, usuario_id: int | None, movimiento_id: int, datos: ConfirmarIn) -> Conciliacion:
    """POST /conciliacion/confirmar/{id}/: idempotent (confirming the same thing again answers the existing
    reconciliation; something else → 409 until it is undone). One transaction."""
    resultado = _confirmar(session, usuario_id, movimiento_id, datos)
    session.commit()
    return resultado


def _vigente(session: Session, movimiento_id: int) -> Conciliacion | None:
    return session.execute(select(Conciliacion).where(Conciliacion.movimiento_id == movimiento_id,
                                                      Conciliacion.estado == "CONFIRMADA")).scalar_one_or_none()


def _confirmar(session: Session, usuario_id: int | None, movimiento_id: int, datos: ConfirmarIn,
               automatica: bool = False) -> Conciliacion:
    m = movimiento(session, movimiento_id, bloquear=True)
    if m.conciliado:
        vigente = _vigente(session, m.id) or _vigente(session, _par_de(session, m.id) or 0)
        if vigente is not None and not automatica and _misma(session, m, vigente, datos):
            return vigente
        raise Conflict("El movimiento ya está conciliado: deshaga la conciliación para cambiarla")
    validar_periodo_abierto(session, m.fecha)
    fila = cuenta(session, m.cuenta_id)
    eleccion = _eleccion(m, datos)
    pagos: list[PagoCobro] = []
    asiento_id = None
    par = None
    if eleccion.clase in ("PAGO_COBRO", "TARJETA"):
        pagos = _pagos(session, m, fila, eleccion.pagos_cobros)
        if eleccion.gasto > 0:  # the bank paid the transfer net of its fee, or the acquirer of its commission
            asiento_id = _asiento_bancario(session, usuario_id, m, fila, "GASTOS_BANCARIOS", -eleccion.gasto,
                                           "Comisión descontada del abono")
    elif eleccion.clase in REGISTRADAS:
        pagos = _registrar_documentos(session, usuario_id, m, fila, eleccion.documentos)
    elif eleccion.clase in BANCARIAS:
        clave, concepto = _bancaria(eleccion.clase, m.monto)
        asiento_id = _asiento_bancario(session, usuario_id, m, fila, clave, m.monto, concepto)
    elif eleccion.clase == "EXTORNO":
        par = movimiento(session, eleccion.par_id or 0, bloquear=True)
        if par.conciliado or par.monto != -m.monto or par.cuenta_id != m.cuenta_id:
            raise Conflict("El movimiento que revierte ya no está pendiente", field="sugerencia")
        par.conciliado = True
        session.add(par)
    for p in pagos:
        p.conciliado = True
        session.add(p)
    m.conciliado = True
    m.clase = eleccion.clase
    m.documento_id = pagos[0].id if pagos else None
    session.add(m)
    registro = Conciliacion(movimiento_id=m.id, clase=eleccion.clase, pagos_cobros=json.dumps([p.id for p in pagos]),
                            movimiento_par_id=par.id if par else None, asiento_id=asiento_id,
                            score=Decimal(str(eleccion.score)), automatica=automatica, usuario_id=usuario_id)
    session.add(registro)
    session.flush()
    return registro


def _par_de(session: Session, movimiento_id: int) -> int | None:
    return session.execute(select(Conciliacion.movimiento_id).where(
        Conciliacion.movimiento_par_id == movimiento_id, Conciliacion.estado == "CONFIRMADA")).scalar_one_or_none()


def _misma(session: Session, m: MovimientoBancario, vigente: Conciliacion, datos: ConfirmarIn) -> bool:
    """A repeated confirmation: the same suggestion (or the same hand-picked rows) as the one in force."""
    if datos.pagos_cobros is not None:
        return sorted(json.loads(vigente.pagos_cobros)) == sorted(set(datos.pagos_cobros))
    if datos.clase is not None:
        return vigente.clase == datos.clase
    if datos.documentos is not None:
        return vigente.clase in REGISTRADAS
    sugerencias = json.loads(m.sugerencias or "[]")
    indice = datos.sugerencia or 0
    if vigente.movimiento_id != m.id:  # the other line of a confirmed reversal
        return vigente.clase == "EXTORNO"
    return indice < len(sugerencias) and sugerencias[indice]["clase"] == vigente.clase and (
        sorted(sugerencias[indice]["pagos_cobros"]) == sorted(json.loads(vigente.pagos_cobros))
        or vigente.clase not in ENLACES)


class DeshacerIn(Entrada):
    motivo: str = Field(min_length=3, max_length=300)


def deshacer(session: Session, usuario_id: int | None, movimiento_id: int, motivo: str) -> Conciliacion:
    """Undo a confirmed reconciliation while the line's period is open, reversing what the confirmation
    recorded: both sides unreconciled; the bank-charge entry it posted reversed; a collection or payment it
    recorded from the line's documents reversed too (the documents open again, its entry reversed by a
    reversing entry). One transaction."""
    m = movimiento(session, movimiento_id, bloquear=True)
    vigente = _vigente(session, m.id)
    if vigente is None:
        par = _par_de(session, m.id)
        vigente = _vigente(session, par) if par else None
    if vigente is None:
        raise Conflict("El movimiento no tiene una conciliación vigente")
    validar_periodo_abierto(session, m.fecha)
    ids = json.loads(vigente.pagos_cobros)
    for p in session.execute(select(PagoCobro).where(PagoCobro.id.in_(ids)).with_for_update()).scalars():
        p.conciliado = False
        session.add(p)
    for mid in {vigente.movimiento_id, vigente.movimiento_par_id} - {None}:
        linea = movimiento(session, mid, bloquear=True)
        linea.conciliado, linea.documento_id = False, None
        session.add(linea)
    if vigente.asiento_id is not None:
        registrar_reversion(session, vigente.asiento_id, usuario_id, f"conciliación deshecha: {motivo}")
    if vigente.clase in REGISTRADAS:
        session.flush()
        cartera.anular(session, usuario_id, ids, f"conciliación deshecha: {motivo}")
    vigente.estado, vigente.motivo_deshacer, vigente.deshecha_at = "DESHECHA", motivo, utcnow()
    session.add(vigente)
    session.commit()
    return vigente


def conciliacion_dict(c: Conciliacion) -> dict:
    datos = c.model_dump()
    datos["pagos_cobros"] = json.loads(c.pagos_cobros)
    return datos
