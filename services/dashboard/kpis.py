"""The 10-minute refresh of `snapshots_kpi`: one INSERT … SELECT per KPI group (a UNION ALL of that group's
KPIs), so each group is computed by PostgreSQL in one statement, never row by row in Python. Each group is
its own transaction (a failing group does not hold back the others) and announces itself on commit.

Business dates are Lima's: "today", "this week" (from Monday) and "this month" start at Lima midnight."""

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session

from core.settings import get_settings
from models.dashboard import GRUPOS_KPI
from services.dashboard import eventos
from services.finanzas.cartera import TRAMOS

COLUMNAS = "tipo_kpi, sucursal_id, almacen_id, clave, etiqueta, valor, cantidad"
RETENCION = timedelta(days=1)  # older runs are deleted; the latest run of a group is never older than 10 min
TOP_PRODUCTOS = 10
ITEMS_BAJO_MINIMO = 20  # per warehouse, the lowest-coverage ones
DIAS_POR_VENCER = 30
DIAS_ROTACION = 30
ABIERTOS = "('PENDIENTE', 'PLANIFICADO', 'EN_RUTA')"


def _tramo_sql(dias: str) -> str:
    """The aging bucket of `dias` past due as a SQL CASE, from finanzas' own bucket table."""
    ramas = [f"WHEN {dias} <= {hi} THEN '{nombre}'" for nombre, _lo, hi in TRAMOS if hi is not None]
    ultimo = next(nombre for nombre, _lo, hi in TRAMOS if hi is None)
    return f"CASE {' '.join(ramas)} ELSE '{ultimo}' END"


VENTAS = [
    # ventas_dia / _semana / _mes by branch: total and number of sales (ticket = total / sales), in one pass
    """SELECT p.tipo, a.sucursal_id, NULL::int, '', '', p.total, p.ventas
       FROM (SELECT sucursal_id,
                    sum(total) FILTER (WHERE fecha >= :desde_dia) AS td,
                    count(*) FILTER (WHERE fecha >= :desde_dia) AS nd,
                    sum(total) FILTER (WHERE fecha >= :desde_semana) AS ts,
                    count(*) FILTER (WHERE fecha >= :desde_semana) AS ns,
                    sum(total) FILTER (WHERE fecha >= :desde_mes) AS tm,
                    count(*) FILTER (WHERE fecha >= :desde_mes) AS nm
             FROM ventas WHERE estado = 'registrada' AND fecha >= LEAST(:desde_semana, :desde_mes)
             GROUP BY sucursal_id) a
       CROSS JOIN LATERAL (VALUES ('ventas_dia', a.td, a.nd), ('ventas_semana', a.ts, a.ns),
                                  ('ventas_mes', a.tm, a.nm)) AS p(tipo, total, ventas)
       WHERE p.ventas > 0""",
    # top products of the month by branch and for all branches (sucursal_id NULL)
    f"""SELECT 'top_productos', t.sucursal_id, NULL::int, t.producto_id::text, pr.nombre, t.total, t.cantidad
       FROM (SELECT v.sucursal_id, d.producto_id, sum(d.total) AS total, sum(d.cantidad) AS cantidad,
                    row_number() OVER (PARTITION BY v.sucursal_id ORDER BY sum(d.total) DESC, d.producto_id) AS puesto
             FROM ventas v JOIN detalle_venta d ON d.venta_id = v.id
             WHERE v.estado = 'registrada' AND v.fecha >= :desde_mes
             GROUP BY GROUPING SETS ((v.sucursal_id, d.producto_id), (d.producto_id))) t
       JOIN productos pr ON pr.id = t.producto_id
       WHERE t.puesto <= {TOP_PRODUCTOS}""",
    # the month's takings by payment method and branch
    """SELECT 'metodo_pago', v.sucursal_id, NULL::int, f.metodo, '', sum(f.monto), count(*)
       FROM ventas v JOIN formas_pago f ON f.venta_id = v.id
       WHERE v.estado = 'registrada' AND v.fecha >= :desde_mes
       GROUP BY v.sucursal_id, f.metodo""",
]

INVENTARIO = [
    # stock value at the warehouse's weighted average cost; items in stock
    """SELECT 'valor_stock', NULL::int, pa.almacen_id, '', '',
              round(sum(pa.stock_actual * coalesce(c.costo_unitario, 0)), 2), count(*)
       FROM productos_almacen pa
       LEFT JOIN costos_promedio c ON c.producto_id = pa.producto_id AND c.almacen_id = pa.almacen_id
       WHERE pa.stock_actual > 0
       GROUP BY pa.almacen_id""",
    # items at or below their minimum: how many per warehouse …
    """SELECT 'bajo_minimo', NULL::int, almacen_id, '', '', count(*), 0
       FROM productos_almacen WHERE stock_minimo > 0 AND stock_actual <= stock_minimo
       GROUP BY almacen_id""",
    # … and which (the least covered first): valor = stock, cantidad = minimum
    f"""SELECT 'item_bajo_minimo', NULL::int, b.almacen_id, b.producto_id::text, pr.nombre, b.stock_actual,
              b.stock_minimo
       FROM (SELECT almacen_id, producto_id, stock_actual, stock_minimo,
                    row_number() OVER (PARTITION BY almacen_id ORDER BY stock_actual / stock_minimo, producto_id)
                        AS puesto
             FROM productos_almacen WHERE stock_minimo > 0 AND stock_actual <= stock_minimo) b
       JOIN productos pr ON pr.id = b.producto_id
       WHERE b.puesto <= {ITEMS_BAJO_MINIMO}""",
    # lots with stock expired or expiring within the window: lots and units
    f"""SELECT CASE WHEN fecha_vencimiento < :hoy THEN 'lotes_vencidos' ELSE 'lotes_por_vencer' END,
              NULL::int, almacen_id, '', '', count(*), sum(cantidad_actual)
       FROM lotes_series
       WHERE cantidad_actual > 0 AND fecha_vencimiento <= CAST(:hoy AS date) + {DIAS_POR_VENCER}
       GROUP BY 1, almacen_id""",
    # rotation: units that left (sales, exits, losses) in the window over the units on hand now
    """SELECT 'rotacion', NULL::int, s.almacen_id, '', '',
              round(coalesce(m.salidas, 0) / s.unidades, 4), coalesce(m.salidas, 0)
       FROM (SELECT almacen_id, sum(stock_actual) AS unidades FROM productos_almacen
             WHERE stock_actual > 0 GROUP BY almacen_id) s
       LEFT JOIN (SELECT almacen_id, -sum(cantidad) AS salidas FROM movimientos_stock
                  WHERE created_at >= :desde_rotacion AND tipo_movimiento IN ('VENTA', 'SALIDA', 'MERMA')
                  GROUP BY almacen_id) m ON m.almacen_id = s.almacen_id""",
]

FINANCIERO = [
    # receivables and payables by aging bucket, in PEN at book value
    f"""SELECT 'cxc_tramo', NULL::int, NULL::int, {_tramo_sql("(CAST(:hoy AS date) - fecha_vencimiento)")}, '',
              sum(saldo_pen), count(*)
       FROM cuentas_por_cobrar WHERE saldo > 0 GROUP BY 4""",
    f"""SELECT 'cxp_tramo', NULL::int, NULL::int, {_tramo_sql("(CAST(:hoy AS date) - fecha_vencimiento)")}, '',
              sum(saldo_pen), count(*)
       FROM cuentas_por_pagar WHERE saldo > 0 GROUP BY 4""",
    # the month's collections and payments in PEN (a foreign-currency one at its own rate)
    """SELECT CASE tipo WHEN 'COBRO' THEN 'cobranzas_mes' ELSE 'pagos_mes' END, NULL::int, NULL::int, '', '',
              sum(round(monto * CASE WHEN moneda = 'PEN' THEN 1 ELSE tipo_cambio END, 2)),
              count(DISTINCT operacion)
       FROM pagos_cobros WHERE fecha >= :mes GROUP BY tipo""",
    # cash position: the ledger balance of every cash and bank account (PCGE element 10)
    """SELECT 'posicion_caja', NULL::int, NULL::int, c.codigo, c.nombre, sum(l.debe - l.haber), count(*)
       FROM lineas_asiento l JOIN cuentas_contables c ON c.id = l.cuenta_id
       WHERE c.codigo LIKE '10%'
       GROUP BY c.codigo, c.nombre""",
]

LOGISTICA = [
    # orders by state: every open one, and those due this month that are closed
    f"""SELECT 'pedidos_estado', NULL::int, almacen_id, estado, '', sum(total), count(*)
       FROM pedidos WHERE estado IN {ABIERTOS} OR fecha_entrega >= :mes
       GROUP BY almacen_id, estado""",
    # this month's deliveries and how many were on time (confirmed by the promised Lima date)
    """SELECT 'entregas_a_tiempo', NULL::int, p.almacen_id, '', '',
              count(*) FILTER (WHERE (a.confirmado_at AT TIME ZONE :tz)::date <= p.fecha_entrega), count(*)
       FROM pedidos p
       JOIN asignaciones_pedido a ON a.pedido_id = p.id AND a.confirmado_at IS NOT NULL
       WHERE p.estado = 'ENTREGADO' AND a.confirmado_at >= :desde_mes
       GROUP BY p.almacen_id""",
    # this month's deliveries by carrier
    """SELECT 'entregas_transportista', NULL::int, NULL::int, t.id::text, t.nombre, count(*), 0
       FROM pedidos p
       JOIN asignaciones_pedido a ON a.pedido_id = p.id AND a.confirmado_at IS NOT NULL
       JOIN rutas r ON r.id = a.ruta_id JOIN transportistas t ON t.id = r.transportista_id
       WHERE p.estado = 'ENTREGADO' AND a.confirmado_at >= :desde_mes
       GROUP BY t.id, t.nombre""",
]

CONSULTAS = {"ventas": VENTAS, "inventario": INVENTARIO, "financiero": FINANCIERO, "logistica": LOGISTICA}


# Every run writes this row, so a group whose KPIs are all empty now has a (newer, empty) snapshot and the
# readers never fall back to an older run's rows.
CORRIDA = "SELECT 'corrida', NULL::int, NULL::int, '', '', 0, 0"


def insert_sql(grupo: str) -> str:
    union = "\nUNION ALL\n".join(f"({q})" for q in [CORRIDA, *CONSULTAS[grupo]])
    return (f"INSERT INTO snapshots_kpi (grupo, fecha, {COLUMNAS})\n"
            f"SELECT :grupo, :hoy, q.* FROM ({union}) AS q ({COLUMNAS})")


def parametros(ahora: datetime | None = None) -> dict[str, object]:
    """The Lima business date and the UTC instants its day, week, month and windows start at."""
    tz = ZoneInfo(get_settings().timezone)
    local = (ahora or datetime.now(tz)).astimezone(tz)
    hoy = local.date()

    def medianoche(d: date) -> datetime:
        return datetime(d.year, d.month, d.day, tzinfo=tz)

    mes = hoy.replace(day=1)
    return {"hoy": hoy, "mes": mes, "tz": tz.key, "desde_dia": medianoche(hoy),
            "desde_semana": medianoche(hoy - timedelta(days=hoy.weekday())), "desde_mes": medianoche(mes),
            "desde_rotacion": medianoche(hoy - timedelta(days=DIAS_ROTACION))}


@dataclass(frozen=True)
class Refresco:
    grupo: str
    filas: int
    ms: float
    calculado_en: datetime


def refrescar_grupo(session: Session, grupo: str, ahora: datetime | None = None) -> Refresco:
    """One group's new snapshot, the prune of its old runs and the live announcement, in one transaction."""
    inicio = time.perf_counter()
    params = parametros(ahora) | {"grupo": grupo}
    filas = session.execute(text(insert_sql(grupo)), params).rowcount
    session.execute(text("DELETE FROM snapshots_kpi WHERE grupo = :grupo AND calculado_en < now() - :retencion"),
                    {"grupo": grupo, "retencion": RETENCION})
    calculado_en = session.execute(text("SELECT now()")).scalar_one()
    eventos.snapshot_refrescado(session, grupo, calculado_en)
    session.commit()
    return Refresco(grupo, filas, round((time.perf_counter() - inicio) * 1000, 1), calculado_en)


def refrescar(session: Session, grupos: tuple[str, ...] = GRUPOS_KPI, ahora: datetime | None = None) -> list[Refresco]:
    return [refrescar_grupo(session, grupo, ahora) for grupo in grupos]
