"""Module 1 sales: the POS sale (stock, IGV, split payments, comprobante) in one transaction,
the offline batch sync, and sale queries."""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import Row, Select, select, text
from sqlmodel import Session

from core.context import Actor
from core.db import get_engine, insert_rows, paginar
from core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from core.schemas import Entrada, Id, Momento, Paginacion
from integrations.sunat import documento as doc
from integrations.sunat.catalogos import DOC_RUC
from integrations.sunat.totales import Totales, TotalesLinea, redondear
from models.facturacion import Comprobante
from models.inventario import Almacen, Producto
from models.ventas import METODOS_PAGO, Caja, Cliente, DetalleVenta, FormaPago, Venta, VentaOffline
from services import calculo, finanzas, stock
from services import productos as productos_srv
from services.auth import AuthUser
from services.calculo import DescuentoCargoIn
from services.cuotas import CuotaIn
from services.dashboard import eventos as tablero
from services.notificaciones import notificar
from services.permisos import sucursales_visibles, tiene_permiso


class LineaVentaIn(Entrada):
    producto_id: Id
    cantidad: Decimal = Field(gt=0, max_digits=14, decimal_places=3)
    precio_unitario: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)  # default: list
    descuento: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=2)  # line amount
    numero_lote: str | None = Field(default=None, max_length=50)
    numero_serie: str | None = Field(default=None, max_length=80)


class PagoIn(Entrada):
    metodo: str
    monto: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    referencia: str = Field(default="", max_length=100)

    @field_validator("metodo")
    @classmethod
    def _metodo(cls, v: str) -> str:
        if v not in METODOS_PAGO:
            raise ValueError(f"método de pago desconocido; use uno de {', '.join(METODOS_PAGO)}")
        return v


class VentaIn(Entrada):
    cliente_id: Id | None = None
    lineas: list[LineaVentaIn] = Field(min_length=1, max_length=500)
    formas_pago: list[PagoIn] = Field(min_length=1, max_length=10)
    modo_emision: str = Field(default="POS", pattern="^(POS|ECOMMERCE)$")
    descuentos_cargos: list[DescuentoCargoIn] = Field(default=[], max_length=10)  # global, catálogo 53
    # The CREDITO part in instalments; None: one at the customer's días de crédito.
    cuotas: list[CuotaIn] | None = Field(default=None, max_length=999)


def detalle_calculado(linea: doc.Linea, tl: TotalesLinea) -> dict[str, Any]:
    """A sale or quote line's stored amounts: exactly what its comprobante line will say."""
    con_igv = linea.precio_unitario is not None
    return {"precio_unitario": linea.precio_unitario if con_igv else linea.valor_unitario,
            "precio_incluye_igv": con_igv, "valor_unitario": tl.valor_referencial or tl.valor_unitario,
            "afectacion_igv": linea.afectacion_igv, "descuento": linea.descuento, "subtotal": tl.valor_venta,
            "igv": Decimal("0.00") if tl.es_gratuita else tl.igv, "icbper": tl.icbper,
            "total": calculo.linea_total(tl)}


def descuento_total(lineas: list[Any], totales: Totales) -> Decimal:
    """Line discounts as given plus the global discounts (02 and 03) as priced."""
    globales = sum((dc.monto for dc in totales.descuentos_cargos if not dc.es_cargo), Decimal("0"))
    return redondear(sum((lin.descuento for lin in lineas), Decimal("0")) + globales)


# --- preconditions ------------------------------------------------------------------------------------


def _caja_abierta(usuario_id: int) -> Select:
    # Share-locked so a concurrent close of the register waits for this sale to finish.
    return (select(Caja).where(Caja.usuario_id == usuario_id, Caja.estado == "ABIERTA")
            .with_for_update(read=True, of=Caja))


def _sin_caja() -> Conflict:
    return Conflict("No tiene una caja abierta: abra caja antes de vender", field="caja")


def caja_abierta(session: Session, usuario_id: int) -> Caja:
    caja = session.execute(_caja_abierta(usuario_id)).scalar_one_or_none()
    if caja is None:
        raise _sin_caja()
    return caja


def punto_de_venta(session: Session, usuario_id: int) -> tuple[Caja, int]:
    """The user's open register and its branch's default sales warehouse, in one query."""
    almacen = (select(Almacen.id).where(Almacen.sucursal_id == Caja.sucursal_id, Almacen.predeterminado,
                                        Almacen.activo).limit(1).scalar_subquery())
    row = session.execute(_caja_abierta(usuario_id).add_columns(almacen.label("almacen_id"))).one_or_none()
    if row is None:
        raise _sin_caja()
    if row.almacen_id is None:
        raise ValidationError("La sucursal de la caja no tiene un almacén predeterminado para ventas",
                              field="almacen")
    return row.Caja, row.almacen_id


def cliente_activo(session: Session, cliente_id: int | None, bloquear: bool) -> Cliente | None:
    if cliente_id is None:
        return None
    stmt = select(Cliente).where(Cliente.id == cliente_id, Cliente.activo.is_(True))
    cliente = session.execute(stmt.with_for_update() if bloquear else stmt).scalar_one_or_none()
    if cliente is None:
        raise ValidationError("El cliente no existe", field="cliente_id")
    return cliente


def _validar_pagos(session: Session, pagos: list[PagoIn], total: Decimal, cliente: Cliente | None) -> None:
    suma = sum((p.monto for p in pagos), Decimal("0"))
    if suma != total:
        raise ValidationError(f"La suma de formas de pago ({suma}) debe ser igual al total ({total})",
                              field="formas_pago")
    credito = monto_credito(pagos)
    if not credito:
        return
    if cliente is None:
        raise ValidationError("Una venta al crédito requiere cliente", field="cliente_id")
    usado = session.execute(text("""
        SELECT COALESCE(sum(fp.monto), 0) FROM formas_pago fp JOIN ventas v ON v.id = fp.venta_id
        WHERE v.cliente_id = :c AND v.estado = 'registrada' AND fp.metodo = 'CREDITO'
    """), {"c": cliente.id}).scalar_one()
    disponible = cliente.limite_credito - usado
    if credito > disponible:
        raise ValidationError(f"Crédito insuficiente: disponible {disponible}, solicitado {credito}",
                              field="formas_pago")


# --- stock --------------------------------------------------------------------------------------------


def _descontar_stock(session: Session, venta: VentaIn, productos: dict[int, Producto], almacen_id: int,
                     referencia: str, usuario_id: int) -> tuple[set[int], list[int | None]]:
    """Take every line's stock out, in product-id order (no deadlocks between concurrent sales).
    Returns the product ids sold beyond their stock (allowed for those products, flagged for alert) and
    each line's lot (traceable products)."""
    por_producto: dict[int, list[int]] = defaultdict(list)
    for i, linea in enumerate(venta.lineas):
        por_producto[linea.producto_id].append(i)
    sin_stock: set[int] = set()
    lotes: list[int | None] = [None] * len(venta.lineas)
    movimientos: list[dict[str, Any]] = []
    for producto_id in sorted(por_producto):
        producto, indices = productos[producto_id], por_producto[producto_id]
        cantidad = sum((venta.lineas[i].cantidad for i in indices), Decimal("0"))
        saldo = _descontar_producto(session, producto, almacen_id, cantidad, indices[-1])
        if saldo.stock_actual < 0:
            sin_stock.add(producto_id)
        stock.alertar_si_bajo(session, saldo, producto_id, almacen_id)
        for i in indices:
            linea = venta.lineas[i]
            lotes[i] = _lote_vendido(session, producto, almacen_id, linea, f"lineas.{i}.")
            movimientos.append({"producto_id": producto_id, "almacen_id": almacen_id, "almacen_origen_id": almacen_id,
                                "tipo_movimiento": "VENTA", "cantidad": -linea.cantidad, "lote_id": lotes[i],
                                "referencia_doc": referencia, "usuario_id": usuario_id, "motivo": "Venta"})
    stock.registrar_movimientos(session, movimientos)
    return sin_stock, lotes


def _descontar_producto(session: Session, producto: Producto, almacen_id: int, cantidad: Decimal,
                        indice: int) -> stock.Saldo:
    if producto.permite_venta_sin_stock:
        return stock.sumar(session, producto.id, almacen_id, -cantidad)
    saldo = stock.descontar(session, producto.id, almacen_id, cantidad)
    if saldo is None:
        raise ValidationError(f"Stock insuficiente para {producto.sku} ({producto.nombre})",
                              field=f"lineas.{indice}.cantidad")
    return saldo


def _lote_vendido(session: Session, producto: Producto, almacen_id: int, linea: LineaVentaIn,
                  campo: str) -> int | None:
    codigo = stock.CodigoLote(linea.numero_lote, linea.numero_serie)
    stock.exigir_lote(producto.trazabilidad, codigo, linea.cantidad, campo)
    if not producto.trazabilidad:
        return None
    return stock.consumir_lote(session, producto.id, almacen_id, codigo, linea.cantidad, campo)


# --- the sale -----------------------------------------------------------------------------------------


@dataclass
class VentaRegistrada:
    venta: Venta
    detalle: list[Row]  # detalle_venta rows
    pagos: list[Row]  # formas_pago rows


def registrar(session: Session, user: AuthUser, datos: VentaIn, fecha: datetime | None = None,
              id_local: uuid.UUID | None = None, commit: bool = True) -> VentaRegistrada:
    """POST /api/ventas/: everything below is one transaction; any error leaves nothing written."""
    caja, almacen_id = punto_de_venta(session, user.id)
    productos = productos_srv.cargar(session, {line.producto_id for line in datos.lineas}, "lineas")
    credito = any(METODOS_PAGO[p.metodo][2] for p in datos.formas_pago)
    cliente = cliente_activo(session, datos.cliente_id, bloquear=credito)
    lineas = [calculo.linea_de_producto(productos[lin.producto_id], lin.cantidad, lin.precio_unitario,
                                        lin.descuento, f"lineas.{i}.") for i, lin in enumerate(datos.lineas)]
    globales = calculo.globales_json(datos.descuentos_cargos)
    totales = calculo.calcular(session, lineas, calculo.globales_sunat(globales))
    _validar_pagos(session, datos.formas_pago, totales.importe_total, cliente)

    venta = Venta(
        cliente_id=cliente.id if cliente else None, usuario_id=user.id, sucursal_id=caja.sucursal_id,
        almacen_id=almacen_id, caja_id=caja.id, fecha=fecha or datetime.now(UTC),
        tipo_comprobante="01" if cliente and cliente.tipo_doc == DOC_RUC else "03",
        subtotal=totales.valor_venta, descuento=descuento_total(datos.lineas, totales),
        igv=totales.igv + totales.ivap, icbper=totales.icbper, total=totales.importe_total,
        descuentos_cargos=globales,
        modo_emision="OFFLINE" if id_local else datos.modo_emision,
        metodo_pago=max(datos.formas_pago, key=lambda p: p.monto).metodo,
        id_local=str(id_local) if id_local else None,
    )
    session.add(venta)
    session.flush()
    sin_stock, lotes = _descontar_stock(session, datos, productos, almacen_id, f"venta-{venta.id}", user.id)
    detalle = insert_rows(session, DetalleVenta, [
        {"venta_id": venta.id, "producto_id": lin.producto_id, "lote_id": lote_id, "cantidad": lin.cantidad}
        | detalle_calculado(linea, tl) | {"alerta_stock": lin.producto_id in sin_stock}
        for lin, linea, tl, lote_id in zip(datos.lineas, lineas, totales.lineas, lotes, strict=True)],
        returning=True)
    pagos = insert_rows(session, FormaPago, [
        {"venta_id": venta.id, "metodo": p.metodo, "monto": p.monto, "referencia": p.referencia,
         "confirmado": not METODOS_PAGO[p.metodo][2]} for p in datos.formas_pago], returning=True)
    for producto_id in sorted(sin_stock):
        notificar(session, "VENTA_SIN_STOCK", "ventas", f"Venta {venta.id} sin stock suficiente de "
                  f"{productos[producto_id].sku}", "El producto permite venta sin stock; reponer",
                  "ventas", str(venta.id))
    # Held here so the session's identity map (weak references) keeps it for the posting below.
    comprobante = _solicitar_comprobante(session, venta, cliente, [(d, productos[d.producto_id]) for d in detalle],
                                         _credito(datos), datos.cuotas)
    venta.comprobante_id = comprobante.id
    finanzas.contabilizar_venta(session, venta, detalle, pagos, cliente)  # module 6: collection, receivable, cost
    tablero.venta_registrada(session, venta)  # module 8: NOTIFY, sent only if this transaction commits
    session.flush()
    if commit:
        session.commit()
    return VentaRegistrada(venta, detalle, pagos)


def monto_credito(pagos: list[PagoIn]) -> Decimal:
    """The part of the sale left to pay later (CREDITO payments): the factura's pending amount."""
    return sum((p.monto for p in pagos if METODOS_PAGO[p.metodo][2]), Decimal("0"))


def _credito(datos: VentaIn) -> Decimal:
    credito = monto_credito(datos.formas_pago)
    if datos.cuotas is not None and not credito:
        raise ValidationError("Las cuotas solo corresponden a una venta con pago CREDITO", field="cuotas")
    return credito


def _solicitar_comprobante(session: Session, venta: Venta, cliente: Cliente | None,
                           lineas: list[tuple[Row, Producto]], credito: Decimal,
                           cuotas: list[CuotaIn] | None) -> Comprobante:
    from services.facturacion import solicitar_comprobante_de_venta  # module 3 (imported late: it imports ours)

    return solicitar_comprobante_de_venta(session, venta, cliente, lineas, credito, cuotas)


# --- offline sync -------------------------------------------------------------------------------------


class VentaOfflineIn(VentaIn):
    id_local: uuid.UUID
    fecha_registro_local: Momento

    @field_validator("fecha_registro_local")
    @classmethod
    def _con_zona(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("incluya la zona horaria (ISO 8601 con offset, p. ej. -05:00)")
        return v


class LoteOfflineIn(Entrada):
    ventas: list[VentaOfflineIn] = Field(min_length=1, max_length=500)


@dataclass(frozen=True)
class ResultadoSync:
    id_local: uuid.UUID
    estado: str  # creada | duplicada | error_sync
    venta_id: int | None = None
    motivo: str | None = None


_REGISTRAR_OFFLINE = text("""
    INSERT INTO ventas_offline (id_local, payload_json, sincronizado, fecha_registro_local, usuario_id)
    VALUES (:id_local, CAST(:payload AS jsonb), false, :fecha, :usuario)
    ON CONFLICT (id_local) DO NOTHING
""")


def sincronizar_offline(user: AuthUser, actor: Actor, lote: LoteOfflineIn) -> list[ResultadoSync]:
    """POST /api/ventas/offline-sync/: in the order the sales happened, each sale in its own transaction.
    A sale already synchronised is reported `duplicada`; one that fails (stock, closed register...) is kept
    in `ventas_offline` with `error_sync` and is retried if the POS sends it again."""
    ordenadas = sorted(lote.ventas, key=lambda v: (v.fecha_registro_local, str(v.id_local)))
    resultados = []
    for item in ordenadas:
        with Session(get_engine(), expire_on_commit=False) as session:
            session.info["actor"] = actor
            resultados.append(_sincronizar_una(session, user, item))
    return resultados


def _sincronizar_una(session: Session, user: AuthUser, item: VentaOfflineIn) -> ResultadoSync:
    session.execute(_REGISTRAR_OFFLINE, {"id_local": item.id_local, "payload": item.model_dump_json(),
                                         "fecha": item.fecha_registro_local, "usuario": user.id})
    registro = session.execute(select(VentaOffline).where(VentaOffline.id_local == item.id_local)
                               .with_for_update()).scalar_one()
    if registro.sincronizado:
        session.rollback()
        return ResultadoSync(item.id_local, "duplicada", registro.venta_id)
    datos = VentaIn(**item.model_dump(exclude={"id_local", "fecha_registro_local"}))
    try:
        with session.begin_nested():
            venta = registrar(session, user, datos, fecha=item.fecha_registro_local, id_local=item.id_local,
                              commit=False).venta
    except DomainError as exc:
        registro.error_sync = _motivo(exc)[:500]
        registro.fecha_sync = datetime.now(UTC)
        session.add(registro)
        session.commit()
        return ResultadoSync(item.id_local, "error_sync", motivo=registro.error_sync)
    registro.sincronizado, registro.venta_id, registro.error_sync = True, venta.id, None
    registro.fecha_sync = datetime.now(UTC)
    session.add(registro)
    session.commit()
    return ResultadoSync(item.id_local, "creada", venta.id)


def _motivo(exc: DomainError) -> str:
    return f"{exc.message} ({exc.field})" if exc.field else exc.message


# --- reading ------------------------------------------------------------------------------------------


def vista(registrada: VentaRegistrada) -> dict[str, Any]:
    return registrada.venta.model_dump() | {"detalle": [d._asdict() for d in registrada.detalle],
                                            "formas_pago": [p._asdict() for p in registrada.pagos]}


def obtener(session: Session, user: AuthUser, venta_id: int) -> dict[str, Any]:
    venta = session.get(Venta, venta_id)
    if venta is None:
        raise NotFound("Venta no encontrada")
    sucursales, propias = alcance(session, user)
    if (sucursales is not None and venta.sucursal_id not in sucursales) or propias not in (None, venta.usuario_id):
        raise Forbidden("No puede ver esta venta: es de otro vendedor o de otra sucursal")
    detalle = session.execute(select(*DetalleVenta.__table__.c).where(DetalleVenta.venta_id == venta_id)
                              .order_by(DetalleVenta.id)).all()
    pagos = session.execute(select(*FormaPago.__table__.c).where(FormaPago.venta_id == venta_id)
                            .order_by(FormaPago.id)).all()
    return vista(VentaRegistrada(venta, list(detalle), list(pagos)))


def alcance(session: Session, user: AuthUser, sucursal_id: int | None = None) -> tuple[list[int] | None, int | None]:
    """Which sales `user` may read: (branches or None for all, only this seller's or None). ADMIN reads
    every sale; a role with ventas:ver_todas (managers, accountants) those of its branches; anyone else
    (cashiers, sellers) only the sales they made, in their branches."""
    sucursales = sucursales_visibles(user, sucursal_id)
    propias = None if tiene_permiso(session, user.rol_id, "ventas", "ver_todas") else user.id
    return sucursales, propias


def listar(session: Session, user: AuthUser, desde: datetime | None, hasta: datetime | None,
           sucursal_id: int | None, cliente_id: int | None, usuario_id: int | None,
           pagina: Paginacion) -> tuple[list[Venta], int]:
    sucursales, propias = alcance(session, user, sucursal_id)
    stmt = select(Venta).order_by(Venta.fecha.desc(), Venta.id.desc())
    for column, value in ((Venta.cliente_id, cliente_id), (Venta.usuario_id, usuario_id),
                          (Venta.usuario_id, propias)):
        if value is not None:
            stmt = stmt.where(column == value)
    if sucursales is not None:
        stmt = stmt.where(Venta.sucursal_id.in_(sucursales))
    if desde is not None:
        stmt = stmt.where(Venta.fecha >= desde)
    if hasta is not None:
        stmt = stmt.where(Venta.fecha < hasta)
    return paginar(session, stmt, pagina.limit, pagina.offset)

