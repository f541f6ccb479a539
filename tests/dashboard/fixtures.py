"""Module 8's data set: two branches with a default warehouse each, costed stock with a minimum and an expiring
lot, three sales (two in the main branch, one in the north branch), open receivables and payables in known
aging buckets, a collection, and delivered / open orders with a carrier."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from core.db import session_scope
from services.dashboard import kpis
from services.stock import hoy_lima
from tests.ventas_fixtures import Tienda, venta

pytest_plugins = ["tests.ventas_fixtures"]


@dataclass
class Tablero(Tienda):
    cajero: dict[str, str]
    sucursal_norte: int
    almacen_norte: int
    cajero_norte: dict[str, str]
    productos: dict[str, int]

    def vender(self, sku: str, cantidad: str, monto: str, metodo: str = "EFECTIVO",
               headers: dict[str, str] | None = None, client=None) -> dict:  # noqa: ANN001
        res = (client or self.client).post("/api/ventas/", headers=headers or self.cajero,
                                           json=venta(self.productos[sku], cantidad, monto, metodo))
        assert res.status_code == 201, res.text
        return res.json()

    def kpis(self, grupo: str, headers: dict[str, str] | None = None, **params: object) -> dict:
        res = self.client.get(f"/api/dashboard/kpis/{grupo}/", headers=headers or self.admin, params=params)
        assert res.status_code == 200, res.text
        return res.json()


def refrescar() -> None:
    with session_scope() as s:
        kpis.refrescar(s)


def _sucursal_norte(tienda: Tienda) -> tuple[int, int]:
    with session_scope() as s:
        sucursal = s.execute(text("INSERT INTO sucursales (nombre, direccion, codigo_establecimiento, activo) "
                                  "VALUES ('Norte', 'Av. Túpac Amaru 1000', '0002', true) RETURNING id")).scalar_one()
    res = tienda.client.post("/api/almacenes/", headers=tienda.admin,
                             json={"nombre": "Almacén norte", "sucursal_id": sucursal, "predeterminado": True})
    assert res.status_code == 201, res.text
    return sucursal, res.json()["id"]


def _finanzas(hoy) -> None:  # noqa: ANN001
    cxc = ("INSERT INTO cuentas_por_cobrar (cliente_numero_doc, cliente_razon_social, comprobante_id, documento, "
           "cuota, moneda, tipo_cambio, monto_total, monto_pagado, saldo, saldo_pen, fecha_emision, fecha_vencimiento, "
           "estado) "
           "VALUES ('20100066603', 'Cliente SAC', :c, :d, 1, 'PEN', 1, :m, 0, :m, :m, :e, :v, 'PENDIENTE')")
    cxp = ("INSERT INTO cuentas_por_pagar (proveedor_ruc, proveedor_razon_social, tipo_documento, documento, cuota, "
           "moneda, tipo_cambio, base_imponible, igv, monto_total, monto_pagado, saldo, saldo_pen, fecha_emision, "
           "fecha_vencimiento, estado) VALUES ('20512345678', 'Proveedor SAC', '01', :d, 1, 'PEN', 1, 0, 0, :m, 0, "
           ":m, :m, :e, :v, 'PENDIENTE')")
    with session_scope() as s:
        for comprobante, documento, monto, vence in ((9001, "F001-1", 100, -45), (9002, "F001-2", 50, 15),
                                                     (9003, "F001-3", 25, -100)):
            s.execute(text(cxc), {"c": comprobante, "d": documento, "m": Decimal(monto),
                                  "e": hoy - timedelta(days=120), "v": hoy + timedelta(days=vence)})
        s.execute(text(cxp), {"d": "E001-7", "m": Decimal(200), "e": hoy - timedelta(days=40),
                              "v": hoy - timedelta(days=10)})
        s.execute(text("INSERT INTO pagos_cobros (operacion, tipo, cuenta_cobrar_id, monto, monto_aplicado, "
                       "metodo_pago, moneda, tipo_cambio, diferencia_cambio, referencia, fecha, conciliado) "
                       "SELECT op, 'COBRO', (SELECT id FROM cuentas_por_cobrar WHERE documento = 'F001-1'), m, m, "
                       "'TRANSFERENCIA', mon, tc, 0, '', :f, false FROM (VALUES ('COB-1', 30, 'PEN', 1), "
                       "('COB-2', 10, 'USD', 3.75)) AS v(op, m, mon, tc)"), {"f": hoy})


def _logistica(tienda: Tienda, hoy) -> None:  # noqa: ANN001
    from models.distribucion import AsignacionPedido, Pedido, Ruta, Transportista

    res = tienda.client.post("/api/clientes/", headers=tienda.admin, json={
        "tipo_doc": "1", "numero_doc": "45454545", "razon_social": "María Quispe"})
    assert res.status_code == 201, res.text
    cliente = res.json()["id"]
    ahora = datetime.now(UTC)
    with session_scope() as s:
        t = Transportista(nombre="Conductor KPI-1", tipo_vehiculo="FURGONETA", placa="KPI-101",
                          conductor_documento="45678912", conductor_licencia="Q45678912",
                          capacidad_max_peso=Decimal(500), capacidad_max_volumen=Decimal(5))
        s.add(t)
        s.flush()
        ruta = Ruta(transportista_id=t.id, fecha=hoy, estado="EN_RUTA")
        s.add(ruta)
        s.flush()
        # delivered on the day promised, delivered a day late, still pending
        for i, (estado, entrega) in enumerate((("ENTREGADO", hoy), ("ENTREGADO", hoy - timedelta(days=1)),
                                               ("PENDIENTE", hoy + timedelta(days=1)))):
            p = Pedido(codigo_seguimiento=f"kpi-pedido-{i:04d}", cliente_id=cliente, almacen_id=tienda.almacen_id,
                       estado=estado, direccion_entrega="Av. Larco 345", fecha_entrega=entrega,
                       total=Decimal("50.00") * (i + 1))
            s.add(p)
            s.flush()
            if estado == "ENTREGADO":
                s.add(AsignacionPedido(ruta_id=ruta.id, pedido_id=p.id, orden_entrega=i, estado="CERRADA",
                                       confirmado_at=ahora))


@pytest.fixture
def tablero(tienda: Tienda, make_user: Callable) -> Tablero:
    hoy = hoy_lima()
    productos = {"DA": tienda.producto("DA", precio="11.80", stock=None),
                 "DB": tienda.producto("DB", precio="23.60", stock=None),
                 "DL": tienda.producto("DL", precio="5.90", stock=None, trazabilidad=True)}
    tienda.entrada(productos["DA"], "10", costo_unitario="5.00")
    tienda.entrada(productos["DB"], "5", costo_unitario="12.00")
    tienda.entrada(productos["DL"], "3", costo_unitario="2.00", numero_lote="L-KPI-1",
                   fecha_vencimiento=str(hoy + timedelta(days=10)))
    res = tienda.client.put(f"/api/almacenes/{tienda.almacen_id}/productos/{productos['DA']}/", headers=tienda.admin,
                            json={"stock_minimo": "9", "stock_maximo": "50"})
    assert res.status_code == 200, res.text
    sucursal_norte, almacen_norte = _sucursal_norte(tienda)
    tienda.entrada(productos["DB"], "5", almacen_id=almacen_norte, costo_unitario="12.00")
    _, cajero = make_user("CAJERO")
    tienda.abrir_caja(cajero)
    _, cajero_norte = make_user("CAJERO", sucursal_id=sucursal_norte)
    tienda.abrir_caja(cajero_norte)
    t = Tablero(**vars(tienda), cajero=cajero, sucursal_norte=sucursal_norte, almacen_norte=almacen_norte,
                cajero_norte=cajero_norte, productos=productos)
    _finanzas(hoy)
    _logistica(tienda, hoy)
    return t


@pytest.fixture
def con_ventas(tablero: Tablero) -> Tablero:
    """Main branch: DA×2 cash 23.60; DB×1 by Yape 23.60; north branch: DB×2 cash 47.20."""
    tablero.vender("DA", "2", "23.60")
    tablero.vender("DB", "1", "23.60", "YAPE")
    tablero.vender("DB", "2", "47.20", headers=tablero.cajero_norte)
    return tablero
