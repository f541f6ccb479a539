"""Scheduled purchasing work: the daily replenishment proposals and the quarterly supplier evaluation.

Proposals: every `productos_almacen` row at or under its minimum gets, for its usual supplier (the last one that
sold the product, else the active supplier with the best price, lead time and evaluation), the quantity that
brings it to its maximum minus what open OCs already bring; one OC per supplier and warehouse, keyed by the day
(`ordenes_compra.propuesta` is unique), so running twice the same day creates nothing twice. A supplier's lead
time is its average days from an OC to its first reception; a proposal is expected that many days after the run."""

import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlmodel import Session

from core.db import insert_rows
from core.settings import get_settings
from models.compras import DetalleOrdenCompra, EvaluacionProveedor, OrdenCompra, Proveedor
from services.compras import ordenes
from services.finanzas.asientos import CERO, redondear
from services.notificaciones import notificar

ABIERTAS = "('BORRADOR', 'PENDIENTE_APROBACION', 'APROBADA', 'PARCIAL')"
# Rows under their minimum, what they need, and their usual supplier with its last price in PEN and lead time:
# the last supplier (any OC not ANULADA/RECHAZADA) if still active, else the active supplier that sold it at the
# lowest average price (to the cent), then the shortest lead time (unknown last), then the best last evaluation.
_NECESIDADES = text(f"""
    WITH bajo AS (
        SELECT pa.producto_id, pa.almacen_id, pa.stock_maximo - pa.stock_actual AS falta
        FROM productos_almacen pa JOIN productos p ON p.id = pa.producto_id AND p.activo
        JOIN almacenes a ON a.id = pa.almacen_id AND a.activo
        WHERE pa.stock_actual <= pa.stock_minimo AND pa.stock_maximo > pa.stock_actual
    ), en_camino AS (
        SELECT d.producto_id, o.almacen_destino_id AS almacen_id,
               sum(greatest(d.cantidad - d.cantidad_recibida - d.cantidad_cancelada, 0)) AS q
        FROM detalle_orden_compra d JOIN ordenes_compra o ON o.id = d.orden_id
        WHERE o.estado IN {ABIERTAS} AND d.producto_id IN (SELECT producto_id FROM bajo)
        GROUP BY 1, 2
    ), compras AS (
        SELECT d.producto_id, o.proveedor_id, o.fecha_creacion, d.precio_unitario * o.tipo_cambio AS precio,
               row_number() OVER (PARTITION BY d.producto_id ORDER BY o.fecha_creacion DESC, o.id DESC) AS n
        FROM detalle_orden_compra d JOIN ordenes_compra o ON o.id = d.orden_id
        WHERE o.estado NOT IN ('ANULADA', 'RECHAZADA') AND d.producto_id IN (SELECT producto_id FROM bajo)
    ), plazos AS (
        SELECT o.proveedor_id, round(avg(extract(epoch FROM (r.primera - o.fecha_creacion)) / 86400)::numeric, 1)
               AS dias
        FROM (SELECT orden_id, min(fecha) AS primera FROM recepciones GROUP BY 1) r
        JOIN ordenes_compra o ON o.id = r.orden_id
        WHERE o.proveedor_id IN (SELECT proveedor_id FROM compras) GROUP BY 1
    ), habitual AS (
        SELECT DISTINCT ON (producto_id) producto_id, proveedor_id, precio FROM (
            SELECT c.producto_id, c.proveedor_id, c.precio, 0 AS orden, 0::numeric AS clave, 0::numeric AS plazo,
                   0::numeric AS eval
            FROM compras c JOIN proveedores pr ON pr.id = c.proveedor_id AND pr.activo WHERE c.n = 1
            UNION ALL
            SELECT c.producto_id, c.proveedor_id, (array_agg(c.precio ORDER BY c.n))[1], 1, round(avg(c.precio), 2),
                   max(pl.dias), -coalesce(max(pr.ultima_evaluacion), 0)
            FROM compras c JOIN proveedores pr ON pr.id = c.proveedor_id AND pr.activo
            LEFT JOIN plazos pl ON pl.proveedor_id = c.proveedor_id GROUP BY 1, 2
        ) candidatos ORDER BY producto_id, orden, clave, plazo NULLS LAST, eval, proveedor_id
    )
    SELECT b.producto_id, b.almacen_id, b.falta - coalesce(e.q, 0) AS cantidad, h.proveedor_id, h.precio,
           pl.dias AS plazo_dias
    FROM bajo b JOIN habitual h ON h.producto_id = b.producto_id
    LEFT JOIN plazos pl ON pl.proveedor_id = h.proveedor_id
    LEFT JOIN en_camino e ON e.producto_id = b.producto_id AND e.almacen_id = b.almacen_id
    WHERE b.falta - coalesce(e.q, 0) > 0
    ORDER BY h.proveedor_id, b.almacen_id, b.producto_id
""")


def hoy_lima() -> date:
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


def clave_propuesta(dia: date, proveedor_id: int, almacen_id: int) -> str:
    return f"{dia}:p{proveedor_id}:a{almacen_id}"


def generar_propuestas(session: Session, dia: date | None = None) -> list[int]:
    """The day's proposals (ids of the OCs created now; none when the day already ran). One transaction."""
    dia = dia or hoy_lima()
    grupos: dict[tuple[int, int], list] = defaultdict(list)
    for fila in session.execute(_NECESIDADES):
        grupos[(fila.proveedor_id, fila.almacen_id)].append(fila)
    hechas = set(session.execute(select(OrdenCompra.propuesta).where(
        OrdenCompra.propuesta.in_([clave_propuesta(dia, p, a) for p, a in grupos]))).scalars())
    estado = ordenes.configuracion(session).estado_propuesta
    creadas: list[OrdenCompra] = []
    lineas: list[dict] = []
    for (proveedor_id, almacen_id), filas in grupos.items():
        clave = clave_propuesta(dia, proveedor_id, almacen_id)
        if clave in hechas:
            continue
        detalle = [{"producto_id": f.producto_id, "cantidad": Decimal(f.cantidad),
                    "precio_unitario": Decimal(f.precio).quantize(Decimal("0.000001")),
                    "subtotal": redondear(Decimal(f.cantidad) * Decimal(f.precio))} for f in filas]
        total = sum((d["subtotal"] for d in detalle), CERO)
        plazo = filas[0].plazo_dias
        orden = OrdenCompra(proveedor_id=proveedor_id, almacen_destino_id=almacen_id, propuesta=clave, total=total,
                            total_pen=total, notas=f"Propuesta automática por bajo stock del {dia}",
                            fecha_estimada_entrega=None if plazo is None else dia + timedelta(days=math.ceil(plazo)))
        session.add(orden)
        creadas.append(orden)
        lineas.append(detalle)
    session.flush()
    insert_rows(session, DetalleOrdenCompra, [
        d | {"orden_id": orden.id, "cantidad_recibida": CERO, "cantidad_cancelada": CERO}
        for orden, detalle in zip(creadas, lineas, strict=True) for d in detalle])
    for orden in creadas:
        if estado == "PENDIENTE_APROBACION":
            ordenes.someter(session, orden, nivel_minimo=1)  # a machine's proposal is approved by a person
    for almacen_id in sorted({o.almacen_destino_id for o in creadas}):
        suyas = [o for o in creadas if o.almacen_destino_id == almacen_id]
        notificar(session, "OC_PROPUESTA", "compras", f"{len(suyas)} OC propuestas por bajo stock (almacén "
                  f"{almacen_id})", ", ".join(ordenes.documento(o.id) for o in suyas)[:1000], "almacenes",
                  str(almacen_id), f"OC_PROPUESTA:{dia}:{almacen_id}")
    session.commit()
    return [o.id for o in creadas]


# --- quarterly evaluation -----------------------------------------------------------------------------------

_ENTREGAS = text("""
    SELECT o.proveedor_id,
           count(DISTINCT r.id) AS entregas,
           count(DISTINCT r.id) FILTER (WHERE r.estado = 'REGISTRADA') AS completas,
           count(DISTINCT r.id) FILTER (WHERE o.fecha_estimada_entrega IS NULL
                 OR (r.fecha AT TIME ZONE :tz)::date <= o.fecha_estimada_entrega) AS a_tiempo,
           sum(dr.cantidad_recibida) AS recibido,
           sum(dr.cantidad_recibida) FILTER (WHERE dr.estado_item = 'CONFORME') AS conforme
    FROM recepciones r JOIN ordenes_compra o ON o.id = r.orden_id
    JOIN detalle_recepcion dr ON dr.recepcion_id = r.id
    WHERE r.fecha >= :desde AND r.fecha < :hasta
    GROUP BY o.proveedor_id
""")
# Per supplier: the average of (best unit price paid to anyone for the product in the quarter / this supplier's
# average price for it), over the products it delivered, in PEN.
_PRECIOS = text("""
    WITH lineas AS (
        SELECT o.proveedor_id, d.producto_id, d.precio_unitario * o.tipo_cambio AS precio
        FROM recepciones r JOIN ordenes_compra o ON o.id = r.orden_id
        JOIN detalle_recepcion dr ON dr.recepcion_id = r.id JOIN detalle_orden_compra d ON d.id = dr.detalle_orden_id
        WHERE r.fecha >= :desde AND r.fecha < :hasta
    ), mejor AS (SELECT producto_id, min(precio) AS p FROM lineas GROUP BY 1),
    suyo AS (SELECT proveedor_id, producto_id, avg(precio) AS p FROM lineas GROUP BY 1, 2)
    SELECT s.proveedor_id, avg(CASE WHEN s.p > 0 THEN m.p / s.p ELSE 1 END) * 100 AS score
    FROM suyo s JOIN mejor m ON m.producto_id = s.producto_id GROUP BY 1
""")


def trimestre(dia: date) -> tuple[str, date, date]:
    """('2026-Q4', first day, first day of the next quarter) of the quarter containing `dia`."""
    q = (dia.month - 1) // 3
    inicio = date(dia.year, 3 * q + 1, 1)
    fin = date(dia.year + (q == 3), (3 * q + 3) % 12 + 1, 1)
    return f"{dia.year}-Q{q + 1}", inicio, fin


def _pct(parte: Decimal | None, todo: Decimal | None) -> Decimal:
    return (Decimal(parte or 0) * 100 / Decimal(todo)).quantize(Decimal("0.001")) if todo else Decimal("100")


def evaluar_proveedores(session: Session, dia: date | None = None) -> list[int]:
    """Evaluate the quarter before the one containing `dia` (default: today). Suppliers with no deliveries in
    it are not scored. Re-running the same quarter replaces its scores. Returns the evaluated supplier ids."""
    anterior = (dia or hoy_lima()).replace(day=1) - timedelta(days=1)
    anterior = trimestre(anterior)[1]
    periodo, inicio, fin = trimestre(anterior)
    tz = ZoneInfo(get_settings().timezone)
    rango = {"desde": datetime.combine(inicio, datetime.min.time(), tz),
             "hasta": datetime.combine(fin, datetime.min.time(), tz), "tz": get_settings().timezone}
    precios = {f.proveedor_id: Decimal(f.score).quantize(Decimal("0.001"))
               for f in session.execute(_PRECIOS, rango)}
    umbral = Decimal(ordenes.configuracion(session).umbral_evaluacion)
    evaluados = []
    for f in session.execute(_ENTREGAS, rango).all():
        puntualidad, calidad = _pct(f.a_tiempo, f.entregas), _pct(f.conforme, f.recibido)
        precio = precios.get(f.proveedor_id, Decimal("100"))
        total = ((puntualidad + calidad + precio) / 3).quantize(Decimal("0.001"))
        valores = {"puntualidad_score": puntualidad, "calidad_score": calidad, "precio_score": precio,
                   "total_score": total, "total_entregas": f.entregas, "entregas_completas": f.completas}
        fila = session.execute(select(EvaluacionProveedor).where(
            EvaluacionProveedor.proveedor_id == f.proveedor_id, EvaluacionProveedor.periodo == periodo)
        ).scalar_one_or_none() or EvaluacionProveedor(proveedor_id=f.proveedor_id, periodo=periodo)
        for campo, valor in valores.items():
            setattr(fila, campo, valor)
        session.add(fila)
        proveedor = session.get(Proveedor, f.proveedor_id)
        proveedor.ultima_evaluacion = total
        session.add(proveedor)
        if total < umbral:
            notificar(session, "REVISION_PROVEEDOR", "compras",
                      f"Revisar condiciones con {proveedor.razon_social}: {total} puntos en {periodo}",
                      f"Puntualidad {puntualidad}, calidad {calidad}, precio {precio} (umbral {umbral})",
                      "proveedores", str(proveedor.id), f"REVISION_PROVEEDOR:{proveedor.id}:{periodo}")
        evaluados.append(f.proveedor_id)
    session.commit()
    return evaluados
