"""Reading the KPIs: the latest snapshot of a group (two index lookups), cut to what the user may see and
shaped for the response; the one figure that must be live, today's sales so far, is a direct indexed query."""

from collections import defaultdict
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from services.auth import AuthUser
from services.dashboard import acceso
from services.dashboard.kpis import parametros
from services.finanzas.cartera import TRAMOS

CERO = Decimal("0")
CENTIMO = Decimal("0.01")

_ULTIMO = text("""
    SELECT tipo_kpi, fecha, sucursal_id, almacen_id, clave, etiqueta, valor, cantidad, calculado_en
    FROM snapshots_kpi
    WHERE grupo = :grupo AND calculado_en = (SELECT max(calculado_en) FROM snapshots_kpi WHERE grupo = :grupo)
""")


def _dinero(valor: Decimal) -> Decimal:
    return Decimal(valor).quantize(CENTIMO, ROUND_HALF_UP)


def _ticket(total: Decimal, ventas: int) -> Decimal:
    return _dinero(total / ventas) if ventas else Decimal("0.00")


def ultimo(session: Session, grupo: str, campo: str | None = None,
           valores: list[int] | None = None) -> tuple[list[Any], dict[str, Any]]:
    """The latest run's rows of `grupo` (those whose `campo` dimension is in `valores`, when given; rows
    without that dimension always) and its header (calculado_en, fecha; None before the first run)."""
    filas = session.execute(_ULTIMO, {"grupo": grupo}).all()
    cabecera = {"calculado_en": filas[0].calculado_en if filas else None, "fecha": filas[0].fecha if filas else None}
    if campo is not None and valores is not None:
        permitidos = set(valores)
        filas = [f for f in filas if getattr(f, campo) is None or getattr(f, campo) in permitidos]
    return [f for f in filas if f.tipo_kpi != "corrida"], cabecera


def _periodo(total: Decimal, ventas: int) -> dict[str, Any]:
    return {"total": _dinero(total), "ventas": ventas, "ticket_promedio": _ticket(total, ventas)}


def ventas_hoy(session: Session, sucursales: list[int] | None, ahora: datetime | None = None) -> dict[str, Any]:
    """Today's (Lima) sales so far, read live from `ventas` by the (sucursal_id, fecha) index."""
    params = parametros(ahora)
    filtro = "" if sucursales is None else "AND sucursal_id = ANY(:sucursales)"
    total, ventas = session.execute(text(
        f"SELECT coalesce(sum(total), 0), count(*) FROM ventas "
        f"WHERE fecha >= :desde AND estado = 'registrada' {filtro}"),
        {"desde": params["desde_dia"], "sucursales": sucursales}).one()
    return {"fecha": params["hoy"], **_periodo(total, ventas)}


def kpis_ventas(session: Session, user: AuthUser, sucursal_id: int | None = None) -> dict[str, Any]:
    sucursales = acceso.sucursales(user, sucursal_id)
    filas, cabecera = ultimo(session, "ventas", "sucursal_id", sucursales)
    periodos = {"ventas_dia": "dia", "ventas_semana": "semana", "ventas_mes": "mes"}
    por_sucursal: dict[int, dict[str, list]] = defaultdict(lambda: {p: [CERO, 0] for p in periodos.values()})
    metodos: dict[str, list] = defaultdict(lambda: [CERO, 0])
    top = []
    # ADMIN (all branches) reads the all-branches ranking; anyone else the ranking of each of their branches
    top_de_todas = sucursales is None
    for f in filas:
        if f.tipo_kpi in periodos:
            por_sucursal[f.sucursal_id][periodos[f.tipo_kpi]] = [f.valor, int(f.cantidad)]
        elif f.tipo_kpi == "metodo_pago":
            metodos[f.clave][0] += f.valor
            metodos[f.clave][1] += int(f.cantidad)
        elif f.tipo_kpi == "top_productos" and (f.sucursal_id is None) == top_de_todas:
            top.append({"sucursal_id": f.sucursal_id, "producto_id": int(f.clave), "nombre": f.etiqueta,
                        "total": _dinero(f.valor), "cantidad": f.cantidad})
    totales = {p: [sum((s[p][0] for s in por_sucursal.values()), CERO), sum(s[p][1] for s in por_sucursal.values())]
               for p in periodos.values()}
    top.sort(key=lambda t: (t["sucursal_id"] or 0, -t["total"], t["producto_id"]))
    return cabecera | {
        "hoy": ventas_hoy(session, sucursales),
        "totales": {p: _periodo(*v) for p, v in totales.items()},
        "por_sucursal": [{"sucursal_id": s, **{p: _periodo(*v) for p, v in datos.items()}}
                         for s, datos in sorted(por_sucursal.items())],
        "top_productos": top,
        "por_metodo_pago": [{"metodo": m, "total": _dinero(v[0]), "pagos": v[1]} for m, v in sorted(metodos.items())],
    }


def kpis_inventario(session: Session, user: AuthUser, almacen_id: int | None = None) -> dict[str, Any]:
    filas, cabecera = ultimo(session, "inventario", "almacen_id", acceso.almacenes(session, user, almacen_id))
    vacio = {"valor_stock": Decimal("0.00"), "items_con_stock": 0, "items_bajo_minimo": 0, "lotes_por_vencer": 0,
             "unidades_por_vencer": CERO, "lotes_vencidos": 0, "unidades_vencidas": CERO, "rotacion": CERO,
             "salidas_periodo": CERO}
    por_almacen: dict[int, dict[str, Any]] = defaultdict(lambda: dict(vacio))
    bajo_minimo = []
    for f in filas:
        a = por_almacen[f.almacen_id]
        if f.tipo_kpi == "valor_stock":
            a["valor_stock"], a["items_con_stock"] = _dinero(f.valor), int(f.cantidad)
        elif f.tipo_kpi == "bajo_minimo":
            a["items_bajo_minimo"] = int(f.valor)
        elif f.tipo_kpi == "lotes_por_vencer":
            a["lotes_por_vencer"], a["unidades_por_vencer"] = int(f.valor), f.cantidad
        elif f.tipo_kpi == "lotes_vencidos":
            a["lotes_vencidos"], a["unidades_vencidas"] = int(f.valor), f.cantidad
        elif f.tipo_kpi == "rotacion":
            a["rotacion"], a["salidas_periodo"] = f.valor, f.cantidad
        elif f.tipo_kpi == "item_bajo_minimo":
            bajo_minimo.append({"almacen_id": f.almacen_id, "producto_id": int(f.clave), "nombre": f.etiqueta,
                                "stock_actual": f.valor, "stock_minimo": f.cantidad})
    almacenes = [{"almacen_id": a, **d} for a, d in sorted(por_almacen.items())]
    return cabecera | {
        "valor_stock": sum((a["valor_stock"] for a in almacenes), Decimal("0.00")),
        "items_bajo_minimo": sum(a["items_bajo_minimo"] for a in almacenes),
        "lotes_por_vencer": sum(a["lotes_por_vencer"] for a in almacenes),
        "lotes_vencidos": sum(a["lotes_vencidos"] for a in almacenes),
        "por_almacen": almacenes, "bajo_minimo": bajo_minimo,
    }


def _tramos(filas: list[Any], tipo: str) -> list[dict[str, Any]]:
    valores = {f.clave: f for f in filas if f.tipo_kpi == tipo}
    return [{"tramo": nombre, "saldo": _dinero(valores[nombre].valor) if nombre in valores else Decimal("0.00"),
             "documentos": int(valores[nombre].cantidad) if nombre in valores else 0} for nombre, *_ in TRAMOS]


def _suma(filas: list[Any], tipo: str) -> dict[str, Any]:
    fila = next((f for f in filas if f.tipo_kpi == tipo), None)
    return {"monto": _dinero(fila.valor) if fila else Decimal("0.00"), "operaciones": int(fila.cantidad) if fila else 0}


def kpis_financiero(session: Session) -> dict[str, Any]:
    filas, cabecera = ultimo(session, "financiero")
    caja = [{"cuenta": f.clave, "nombre": f.etiqueta, "saldo": _dinero(f.valor)}
            for f in sorted(filas, key=lambda f: f.clave) if f.tipo_kpi == "posicion_caja"]
    return cabecera | {
        "cuentas_por_cobrar": _tramos(filas, "cxc_tramo"), "cuentas_por_pagar": _tramos(filas, "cxp_tramo"),
        "cobranzas_mes": _suma(filas, "cobranzas_mes"), "pagos_mes": _suma(filas, "pagos_mes"),
        "posicion_caja": caja, "caja_total": sum((c["saldo"] for c in caja), Decimal("0.00")),
    }


def kpis_logistica(session: Session) -> dict[str, Any]:
    filas, cabecera = ultimo(session, "logistica")
    estados: dict[str, list] = defaultdict(lambda: [0, CERO])
    entregas = a_tiempo = 0
    transportistas = []
    for f in filas:
        if f.tipo_kpi == "pedidos_estado":
            estados[f.clave][0] += int(f.cantidad)
            estados[f.clave][1] += f.valor
        elif f.tipo_kpi == "entregas_a_tiempo":
            a_tiempo += int(f.valor)
            entregas += int(f.cantidad)
        elif f.tipo_kpi == "entregas_transportista":
            transportistas.append({"transportista_id": int(f.clave), "nombre": f.etiqueta, "entregas": int(f.valor)})
    transportistas.sort(key=lambda t: (-t["entregas"], t["transportista_id"]))
    return cabecera | {
        "pedidos_por_estado": [{"estado": e, "pedidos": v[0], "total": _dinero(v[1])}
                               for e, v in sorted(estados.items())],
        "entregas_mes": entregas, "entregas_a_tiempo": a_tiempo,
        "porcentaje_a_tiempo": _dinero(Decimal(100 * a_tiempo) / entregas) if entregas else None,
        "por_transportista": transportistas,
    }
