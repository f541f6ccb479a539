"""Module 2: warehouses and who may use them, stock entries/exits/adjustments with lots, stock queries,
the movement history (keyset pages), lot traceability, and the daily alerts."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field
from sqlalchemy import Select, select, text
from sqlmodel import Session

from core import audit
from core.db import paginar, paginar_sql
from core.errors import Forbidden, NotFound, UnprocessableError, ValidationError
from core.schemas import Entrada, Fecha, Id, Paginacion
from core.settings import get_settings
from models.inventario import Almacen, LoteSerie, Producto, ProductoAlmacen, UsuarioAlmacen
from services import finanzas, stock
from services.auth import AuthUser
from services.notificaciones import notificar
from services.permisos import tiene_permiso

Cantidad = Field(gt=0, max_digits=14, decimal_places=3)


# --- warehouses and access ----------------------------------------------------------------------------


class AlmacenIn(Entrada):
    nombre: str = Field(min_length=1, max_length=100)
    tipo: str = Field(default="PRINCIPAL", pattern="^(PRINCIPAL|SUCURSAL|TRANSITO|DEVOLUCIONES)$")
    sucursal_id: Id
    predeterminado: bool = False
    direccion: str = Field(default="", max_length=300)
    ubigeo: str = Field(default="", pattern="^([0-9]{6})?$")  # INEI, for the guía de remisión
    latitud: float | None = Field(default=None, ge=-90, le=90)
    longitud: float | None = Field(default=None, ge=-180, le=180)


def crear_almacen(session: Session, datos: AlmacenIn) -> Almacen:
    almacen = Almacen(**datos.model_dump())
    session.add(almacen)
    session.commit()
    return almacen


def es_admin(user: AuthUser) -> bool:
    return user.rol == "ADMIN"


def _visibles(user: AuthUser) -> Select:
    stmt = select(Almacen).where(Almacen.activo.is_(True)).order_by(Almacen.id)
    if not es_admin(user):
        stmt = stmt.join(UsuarioAlmacen, UsuarioAlmacen.almacen_id == Almacen.id).where(
            UsuarioAlmacen.usuario_id == user.id)
    return stmt


def almacenes_visibles(session: Session, user: AuthUser) -> list[Almacen]:
    return list(session.execute(_visibles(user)).scalars())


def listar_almacenes(session: Session, user: AuthUser, pagina: Paginacion) -> tuple[list[Almacen], int]:
    """The warehouses the user may operate on (admins: all), one page."""
    return paginar(session, _visibles(user), pagina.limit, pagina.offset)


def verificar_acceso(session: Session, user: AuthUser, almacen_id: int, campo: str = "almacen_id") -> Almacen:
    """Admins use every warehouse; anyone else only those assigned to them (403 otherwise)."""
    almacen = session.get(Almacen, almacen_id)
    if almacen is None or not almacen.activo:
        raise ValidationError("El almacén no existe o está inactivo", field=campo)
    if not es_admin(user) and session.get(UsuarioAlmacen, (user.id, almacen_id)) is None:
        raise Forbidden(f"No tiene permiso sobre el almacén {almacen.nombre}", field=campo)
    return almacen


def asignar_usuario(session: Session, almacen_id: int, usuario_id: int) -> None:
    if session.get(Almacen, almacen_id) is None:
        raise NotFound("Almacén no encontrado")
    if session.get(UsuarioAlmacen, (usuario_id, almacen_id)) is None:
        session.add(UsuarioAlmacen(usuario_id=usuario_id, almacen_id=almacen_id))
    session.commit()


class NivelesIn(Entrada):
    stock_minimo: Decimal = Field(ge=0, max_digits=14, decimal_places=3)
    stock_maximo: Decimal = Field(ge=0, max_digits=14, decimal_places=3)
    stock_seguridad: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=3)


def fijar_niveles(session: Session, user: AuthUser, almacen_id: int, producto_id: int,
                  datos: NivelesIn) -> ProductoAlmacen:
    verificar_acceso(session, user, almacen_id)
    if datos.stock_maximo and datos.stock_maximo < datos.stock_minimo:
        raise ValidationError("stock_maximo debe ser mayor o igual que stock_minimo", field="stock_maximo")
    _producto(session, producto_id, "producto_id")
    stock.sumar(session, producto_id, almacen_id, Decimal("0"))  # make sure the row exists
    fila = session.execute(select(ProductoAlmacen).where(ProductoAlmacen.producto_id == producto_id,
                                                         ProductoAlmacen.almacen_id == almacen_id)).scalar_one()
    fila.stock_minimo, fila.stock_maximo, fila.stock_seguridad = (datos.stock_minimo, datos.stock_maximo,
                                                                  datos.stock_seguridad)
    session.add(fila)
    session.commit()
    return fila


# --- movements ----------------------------------------------------------------------------------------


class MovimientoIn(Entrada):
    producto_id: Id
    almacen_id: Id
    cantidad: Decimal = Cantidad
    motivo: str = Field(default="", max_length=300)
    referencia_doc: str = Field(default="", max_length=60)
    numero_lote: str | None = Field(default=None, max_length=50)
    numero_serie: str | None = Field(default=None, max_length=80)
    fecha_vencimiento: Fecha | None = None


class EntradaIn(MovimientoIn):
    costo_unitario: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=6,
                                           description="costo de ingreso (sin IGV): mueve el costo promedio")


class SalidaIn(MovimientoIn):
    forzar: bool = False  # exit beyond the stock; only roles with inventario:forzar


class AjusteIn(MovimientoIn):
    cantidad: Decimal = Field(max_digits=14, decimal_places=3)  # signed: + found, - lost
    motivo: str = Field(default="", max_length=300)


def _producto(session: Session, producto_id: int, campo: str) -> Producto:
    producto = session.get(Producto, producto_id)
    if producto is None or not producto.activo:
        raise ValidationError("El producto no existe o está inactivo", field=campo)
    return producto


def _codigo(datos: MovimientoIn) -> stock.CodigoLote:
    return stock.CodigoLote(datos.numero_lote, datos.numero_serie, datos.fecha_vencimiento)


def _movimiento(user: AuthUser, datos: MovimientoIn, tipo: str, cantidad: Decimal, lote_id: int | None,
                referencia: str) -> dict[str, Any]:
    return {"producto_id": datos.producto_id, "almacen_id": datos.almacen_id, "tipo_movimiento": tipo,
            "cantidad": cantidad, "motivo": datos.motivo, "usuario_id": user.id, "lote_id": lote_id,
            "referencia_doc": referencia, "almacen_destino_id": datos.almacen_id if cantidad > 0 else None,
            "almacen_origen_id": datos.almacen_id if cantidad < 0 else None}


def _aplicar(session: Session, user: AuthUser, datos: MovimientoIn, tipo: str, delta: Decimal, forzar: bool,
             referencia: str) -> stock.Saldo:
    """The stock change, the lot change and the kardex row, in the caller's transaction."""
    producto = _producto(session, datos.producto_id, "producto_id")
    stock.exigir_lote(producto.trazabilidad, _codigo(datos), delta, "")
    if delta >= 0 or forzar:
        saldo = stock.sumar(session, producto.id, datos.almacen_id, delta)
    else:
        saldo = stock.descontar(session, producto.id, datos.almacen_id, -delta)
        if saldo is None:
            raise ValidationError(f"Stock insuficiente de {producto.sku} en el almacén", field="cantidad")
        stock.alertar_si_bajo(session, saldo, producto.id, datos.almacen_id)
    lote_id = None
    if producto.trazabilidad:
        lote = _codigo(datos)
        lote_id = (stock.ingresar_lote(session, producto.id, datos.almacen_id, lote, delta, "") if delta > 0
                   else stock.consumir_lote(session, producto.id, datos.almacen_id, lote, -delta, ""))
    stock.registrar_movimientos(session, [_movimiento(user, datos, tipo, delta, lote_id, referencia)])
    return saldo


def entrada(session: Session, user: AuthUser, datos: EntradaIn) -> stock.Saldo:
    verificar_acceso(session, user, datos.almacen_id)
    saldo = _aplicar(session, user, datos, "ENTRADA", datos.cantidad, False, datos.referencia_doc)
    if datos.costo_unitario is not None:  # module 6: weighted average cost and its entry, same transaction
        finanzas.registrar_ingreso_costeado(session, datos.producto_id, datos.almacen_id, datos.cantidad,
                                            datos.costo_unitario, datos.referencia_doc or "entrada", user.id,
                                            session.get(Almacen, datos.almacen_id).sucursal_id, stock.hoy_lima())
    session.commit()
    return saldo


def salida(session: Session, user: AuthUser, datos: SalidaIn) -> stock.Saldo:
    verificar_acceso(session, user, datos.almacen_id)
    if datos.forzar and not tiene_permiso(session, user.rol_id, "inventario", "forzar"):
        raise Forbidden("Su rol no puede autorizar salidas sin stock (inventario:forzar)", field="forzar")
    saldo = _aplicar(session, user, datos, "SALIDA", -datos.cantidad, datos.forzar, datos.referencia_doc)
    session.commit()
    return saldo


def ajuste(session: Session, user: AuthUser, datos: AjusteIn) -> stock.Saldo:
    """Manual adjustment: reason required; audited with the adjustment's reference."""
    if not datos.motivo.strip():
        raise ValidationError("El ajuste requiere un motivo", field="motivo")
    if datos.cantidad == 0:
        raise ValidationError("La cantidad del ajuste no puede ser cero", field="cantidad")
    verificar_acceso(session, user, datos.almacen_id)
    referencia = datos.referencia_doc or f"ajuste-{datetime.now(ZoneInfo('UTC')):%Y%m%d%H%M%S%f}"
    # Adjustments fix a count: they may leave the stock at any value, but never below zero.
    saldo = _aplicar(session, user, datos, "AJUSTE", datos.cantidad, False, referencia)
    audit.record(session, "inventario", "ajuste", "productos_almacen", str(saldo.producto_almacen_id),
                 {"referencia": referencia, "producto_id": datos.producto_id, "almacen_id": datos.almacen_id,
                  "cantidad": datos.cantidad, "motivo": datos.motivo, "stock_resultante": saldo.stock_actual})
    session.commit()
    return saldo


# --- queries ------------------------------------------------------------------------------------------


def almacenes_de_lectura(session: Session, user: AuthUser, almacen_id: int | None = None) -> list[int] | None:
    """None = every warehouse (admin without filter); otherwise the ids a read may cover: the one asked for
    (403 if not the user's) or all those assigned to the user. Stock, kardex and lots are scoped by it."""
    if almacen_id is not None:
        verificar_acceso(session, user, almacen_id)
        return [almacen_id]
    return None if es_admin(user) else [a.id for a in almacenes_visibles(session, user)]


def almacenes_de_venta(session: Session, user: AuthUser) -> list[int] | None:
    """The warehouses whose stock a product's total shows: the user's assigned ones or, for a user with
    none (a cashier, a seller), those of their branches. None = every warehouse (admin)."""
    ids = almacenes_de_lectura(session, user)
    if ids is None or ids:
        return ids
    return list(session.execute(select(Almacen.id).where(
        Almacen.activo.is_(True), Almacen.sucursal_id.in_(user.sucursales_permitidas))).scalars())


def consultar_stock(session: Session, user: AuthUser, almacen_id: int | None, producto_id: int | None,
                    pagina: Paginacion, solo_alertas: bool = False) -> tuple[list[dict[str, Any]], int]:
    return paginar_sql(session, *consulta_stock(session, user, almacen_id, producto_id, solo_alertas), pagina.limit,
                       pagina.offset)


def consulta_stock(session: Session, user: AuthUser, almacen_id: int | None, producto_id: int | None,
                   solo_alertas: bool = False) -> tuple[str, dict[str, Any]]:
    """The stock list's SQL and parameters, scoped to the user's warehouses (a page of it, or an export's stream)."""
    ids = almacenes_de_lectura(session, user, almacen_id)
    return """
        SELECT pa.id, pa.producto_id, p.sku, p.nombre, pa.almacen_id, a.nombre AS almacen, pa.stock_actual,
               pa.stock_minimo, pa.stock_maximo, pa.stock_seguridad,
               pa.stock_minimo > 0 AND pa.stock_actual <= pa.stock_minimo AS bajo_minimo
        FROM productos_almacen pa JOIN productos p ON p.id = pa.producto_id JOIN almacenes a ON a.id = pa.almacen_id
        WHERE (CAST(:ids AS int[]) IS NULL OR pa.almacen_id = ANY(:ids))
          AND (CAST(:producto AS int) IS NULL OR pa.producto_id = :producto)
          AND (NOT :alertas OR (pa.stock_minimo > 0 AND pa.stock_actual <= pa.stock_minimo))
        ORDER BY p.sku, pa.almacen_id
    """, {"ids": ids, "producto": producto_id, "alertas": solo_alertas}


def limites_lima(desde: date | None, hasta: date | None) -> tuple[datetime | None, datetime | None]:
    """Lima business days [desde, hasta] → UTC instants [start, end)."""
    if desde and hasta and hasta < desde:
        raise UnprocessableError("La fecha hasta es anterior a la fecha desde", field="hasta")
    zona = ZoneInfo(get_settings().timezone)
    inicio = datetime.combine(desde, time(), zona) if desde else None
    fin = datetime.combine(hasta + timedelta(days=1), time(), zona) if hasta else None
    return inicio, fin


_MOVIMIENTOS = """
    SELECT m.id, m.created_at, m.producto_id, m.almacen_id, m.almacen_origen_id, m.almacen_destino_id,
           m.tipo_movimiento, m.cantidad, m.motivo, m.usuario_id, m.lote_id, m.referencia_doc
    FROM movimientos_stock m
    WHERE {where}
    ORDER BY m.created_at DESC, m.id DESC
"""


def movimientos(session: Session, user: AuthUser, producto_id: int | None, almacen_id: int | None,
                tipo: str | None, desde: date | None, hasta: date | None,
                pagina: Paginacion) -> tuple[list[dict[str, Any]], int]:
    """The kardex, newest first (the date range prunes the monthly partitions)."""
    return paginar_sql(session, *consulta_movimientos(session, user, producto_id, almacen_id, tipo, desde, hasta),
                       pagina.limit, pagina.offset)


def consulta_movimientos(session: Session, user: AuthUser, producto_id: int | None, almacen_id: int | None,
                         tipo: str | None, desde: date | None, hasta: date | None) -> tuple[str, dict[str, Any]]:
    """The kardex's SQL and parameters, scoped to the user's warehouses (a page of it, or an export's stream)."""
    inicio, fin = limites_lima(desde, hasta)
    params: dict[str, Any] = {}
    where = ["true"]
    for sql, key, value in (("m.producto_id = :producto", "producto", producto_id),
                            ("m.tipo_movimiento = :tipo", "tipo", tipo), ("m.created_at >= :inicio", "inicio", inicio),
                            ("m.created_at < :fin", "fin", fin)):
        if value is not None:
            where.append(sql)
            params[key] = value
    ids = almacenes_de_lectura(session, user, almacen_id)
    if ids is not None:
        where.append("m.almacen_id = ANY(:ids)")
        params["ids"] = ids
    return _MOVIMIENTOS.format(where=" AND ".join(where)), params


def trazabilidad(session: Session, user: AuthUser, codigo: str) -> dict[str, Any]:
    """Everything that happened to a lot or serial number in the user's warehouses, oldest first."""
    stmt = select(LoteSerie).where((LoteSerie.numero_lote == codigo) | (LoteSerie.numero_serie == codigo))
    ids = almacenes_de_lectura(session, user)
    if ids is not None:
        stmt = stmt.where(LoteSerie.almacen_id.in_(ids))
    lotes = list(session.execute(stmt.order_by(LoteSerie.id)).scalars())
    if not lotes:
        raise NotFound("Lote o serie no encontrado")
    historial = session.execute(text("""
        SELECT m.id, m.created_at, m.producto_id, m.almacen_id, m.almacen_origen_id, m.almacen_destino_id,
               m.tipo_movimiento, m.cantidad, m.motivo, m.usuario_id, m.lote_id, m.referencia_doc
        FROM movimientos_stock m
        WHERE m.lote_id = ANY(:ids) AND (CAST(:almacenes AS int[]) IS NULL OR m.almacen_id = ANY(:almacenes))
        ORDER BY m.created_at, m.id
    """), {"ids": [lote.id for lote in lotes], "almacenes": ids})
    return {"codigo": codigo, "lotes": [lote.model_dump() for lote in lotes],
            "movimientos": [dict(r._mapping) for r in historial]}


# --- daily job ----------------------------------------------------------------------------------------

DIAS_AVISO_VENCIMIENTO = 7


def crear_particiones(session: Session, meses: int = 3) -> int:
    """Monthly partitions of movimientos_stock for this month and the next ones (idempotent)."""
    creadas = session.execute(text("SELECT erp_crear_particiones_movimientos(CAST(now() AS date), :m)"),
                              {"m": meses}).scalar_one()
    session.commit()
    return creadas


def generar_alertas(session: Session, hoy: date | None = None) -> list[int]:
    """Low stock and lots expiring within 7 days → notificaciones, at most one per item per day.
    Returns the ids of the notifications created now (to be mailed)."""
    hoy = hoy or stock.hoy_lima()
    bajos = session.execute(text("""
        SELECT pa.id, p.sku, p.nombre, a.nombre AS almacen, pa.stock_actual, pa.stock_minimo
        FROM productos_almacen pa JOIN productos p ON p.id = pa.producto_id JOIN almacenes a ON a.id = pa.almacen_id
        WHERE pa.stock_minimo > 0 AND pa.stock_actual <= pa.stock_minimo AND p.activo
    """)).all()
    for r in bajos:
        notificar(session, "STOCK_BAJO", "inventario", f"Stock bajo: {r.sku} {r.nombre} en {r.almacen}",
                  f"Stock actual {r.stock_actual} <= mínimo {r.stock_minimo}", "productos_almacen", str(r.id),
                  f"STOCK_BAJO:{r.id}:{hoy}")
    por_vencer = session.execute(text("""
        SELECT l.id, p.sku, p.nombre, a.nombre AS almacen, coalesce(l.numero_lote, l.numero_serie) AS codigo,
               l.fecha_vencimiento, l.cantidad_actual
        FROM lotes_series l JOIN productos p ON p.id = l.producto_id JOIN almacenes a ON a.id = l.almacen_id
        WHERE l.cantidad_actual > 0 AND l.fecha_vencimiento <= :limite
    """), {"limite": hoy + timedelta(days=DIAS_AVISO_VENCIMIENTO)}).all()
    for r in por_vencer:
        notificar(session, "LOTE_POR_VENCER", "inventario",
                  f"Lote {r.codigo} de {r.sku} vence el {r.fecha_vencimiento}",
                  f"{r.cantidad_actual} unidades en {r.almacen}", "lotes_series", str(r.id),
                  f"LOTE_POR_VENCER:{r.id}:{hoy}")
    nuevas = session.execute(text("""
        SELECT id FROM notificaciones WHERE modulo = 'inventario' AND enviada_email_at IS NULL
          AND tipo IN ('STOCK_BAJO', 'LOTE_POR_VENCER') ORDER BY id
    """)).scalars().all()
    session.commit()
    return list(nuevas)


def destinatarios_alertas(session: Session) -> list[str]:
    """Active admins and warehouse supervisors."""
    return list(session.execute(text("""
        SELECT u.email FROM usuarios u JOIN roles r ON r.id = u.rol_id
        WHERE u.activo AND r.nombre IN ('ADMIN', 'SUPERVISOR_ALMACEN') ORDER BY u.email
    """)).scalars())


def resumen_alertas(session: Session, ids: list[int]) -> tuple[str, str]:
    rows = session.execute(text("SELECT titulo, mensaje FROM notificaciones WHERE id = ANY(:ids) ORDER BY id"),
                           {"ids": ids}).all()
    cuerpo = "\n".join(f"- {r.titulo}: {r.mensaje}" for r in rows)
    return f"Alertas de inventario ({len(rows)})", f"Alertas de inventario del {stock.hoy_lima()}:\n\n{cuerpo}\n"


def marcar_enviadas(session: Session, ids: list[int]) -> None:
    session.execute(text("UPDATE notificaciones SET enviada_email_at = now() WHERE id = ANY(:ids)"), {"ids": ids})
    session.commit()
