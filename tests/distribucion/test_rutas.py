"""Module 4 routes: carrier limits (weight, volume, orders per day) → 400 naming the limit and the excess, one
active route per order, the optimised visiting order with ETAs, and the plan of a whole day (capacitated VRP)."""

import itertools
import math

from services.distribucion import optimizacion
from services.stock import hoy_lima
from tests.distribucion.fixtures import ALMACEN_LIMA, PUNTOS_LIMA

pytest_plugins = ["tests.distribucion.fixtures"]


def _asignar(despacho, ruta: int, *pedidos: int):  # noqa: ANN202
    return despacho.client.post(f"/api/rutas/{ruta}/asignar/", headers=despacho.admin, json={"pedidos": list(pedidos)})


def test_capacity_exceeded_is_400_naming_the_limit_and_the_excess(despacho):
    p = despacho.producto("PESO", stock="1000", peso="10", volumen="0.001")
    t = despacho.transportista("CAP-001", peso="100", volumen="5", limite=3)
    ruta = despacho.ruta(t)
    a, b = despacho.pedido(p, "6"), despacho.pedido(p, "5")  # 60 kg + 50 kg > 100 kg
    assert _asignar(despacho, ruta, a["id"]).status_code == 200
    res = _asignar(despacho, ruta, b["id"])
    assert res.status_code == 400, res.text
    assert res.json()["errors"][0]["field"] == "capacidad_max_peso" and "exceso 10 kg" in res.json()["message"]
    assert despacho.client.get(f"/api/pedidos/{b['id']}/", headers=despacho.admin).json()["estado"] == "PENDIENTE"
    # the limit counts the whole day across the carrier's routes
    pequenos = [despacho.pedido(p, "1")["id"] for _ in range(3)]
    otra = despacho.ruta(t)
    assert _asignar(despacho, otra, *pequenos[:2]).status_code == 200
    res = _asignar(despacho, otra, pequenos[2])
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "limite_pedidos_dia"


def test_volume_limit_and_one_active_route_per_order(despacho):
    p = despacho.producto("VOL", stock="100", peso="0.1", volumen="0.5")
    t = despacho.transportista("VOL-001", volumen="1")
    pedido = despacho.pedido(p, "3")
    res = _asignar(despacho, despacho.ruta(t), pedido["id"])
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "capacidad_max_volumen"
    ok = despacho.pedido(p, "1")
    assert _asignar(despacho, despacho.ruta(t), ok["id"]).status_code == 200
    res = _asignar(despacho, despacho.ruta(despacho.transportista("VOL-002")), ok["id"])
    assert res.status_code == 409 and "PLANIFICADO" in res.json()["message"]
    # taken off the route (back to PENDIENTE) it can go on another one
    assert despacho.estado(ok["id"], "PENDIENTE").status_code == 200
    assert _asignar(despacho, despacho.ruta(despacho.transportista("VOL-003")), ok["id"]).status_code == 200


def test_optimised_order_is_the_shortest_tour_with_etas(despacho):
    p = despacho.producto("OPT", stock="100")
    pedidos = [despacho.pedido(p, punto=punto)["id"] for punto in PUNTOS_LIMA[:6]]
    ruta = despacho.ruta(despacho.transportista("OPT-001"))
    assert _asignar(despacho, ruta, *pedidos).status_code == 200
    res = despacho.client.post(f"/api/rutas/{ruta}/optimizar/?segundos=0.3", headers=despacho.admin)
    assert res.status_code == 200, res.text
    paradas = res.json()["paradas"]
    orden = [a["pedido_id"] for a in paradas]
    puntos = [ALMACEN_LIMA, *PUNTOS_LIMA[:6]]
    matriz = [[optimizacion.haversine_m(a, b) for b in puntos] for a in puntos]
    indice = {pid: i + 1 for i, pid in enumerate(pedidos)}
    mejor = min(optimizacion.longitud_tour(perm, matriz) for perm in itertools.permutations(range(1, 7)))
    assert res.json()["distancia_m"] == optimizacion.longitud_tour([indice[x] for x in orden], matriz) == mejor
    etas = [a["eta"] for a in paradas]
    assert all(etas) and etas == sorted(etas) and [a["orden_entrega"] for a in paradas] == [1, 2, 3, 4, 5, 6]


def test_time_windows_are_respected(despacho):
    p = despacho.producto("TW", stock="100")
    cerca, lejos = PUNTOS_LIMA[4], PUNTOS_LIMA[6]
    # the far stop only accepts deliveries early, so it must come first even though the near one is closer
    a = despacho.pedido(p, punto=cerca)["id"]
    b = despacho.pedido(p, punto=lejos, ventana_inicio="08:00:00", ventana_fin="09:10:00",
                        fecha_entrega="2999-01-04")["id"]
    a2 = despacho.pedido(p, punto=cerca, fecha_entrega="2999-01-04")["id"]
    ruta = despacho.ruta(despacho.transportista("TWX-001"), "2999-01-04")
    assert _asignar(despacho, ruta, a2, b).status_code == 200
    res = despacho.client.post(f"/api/rutas/{ruta}/optimizar/?segundos=0.3", headers=despacho.admin).json()
    assert [s["pedido_id"] for s in res["paradas"]] == [b, a2]
    assert a  # (the first order stays PENDIENTE on another day)


def test_planning_a_day_respects_every_carrier_limit(despacho):
    p = despacho.producto("DIA", stock="1000", peso="20", volumen="0.05")
    pedidos = [despacho.pedido(p, "1", punto=pt)["id"] for pt in PUNTOS_LIMA * 2]  # 16 orders of 20 kg
    despacho.transportista("DIA-001", peso="100", limite=10)  # 5 orders by weight
    despacho.transportista("DIA-002", peso="1000", limite=6)  # 6 orders by count
    res = despacho.client.post("/api/rutas/planificar/", headers=despacho.admin, json={
        "almacen_id": despacho.tienda.almacen_id, "fecha": str(hoy_lima()), "segundos": 0.5})
    assert res.status_code == 201, res.text
    plan = res.json()
    asignados = [a["pedido_id"] for r in plan["rutas"] for a in r["paradas"]]
    assert len(asignados) == 11 and len(plan["sin_asignar"]) == 5
    assert sorted(asignados + plan["sin_asignar"]) == sorted(pedidos)
    for r in plan["rutas"]:
        assert all(a["eta"] for a in r["paradas"]) and math.isclose(float(r["peso_total"]), 20 * len(r["paradas"]))
    listado = despacho.client.get("/api/pedidos/?estado=PLANIFICADO", headers=despacho.admin).json()
    assert listado["total"] == 11


def test_route_sheet_lists_stops_in_order_with_a_qr_per_order(despacho):
    import io

    import pypdfium2
    from pyzbar.pyzbar import decode

    p = despacho.producto("HOJA", stock="100", peso="1.5")
    pedidos = [despacho.pedido(p, "2", punto=pt)["id"] for pt in PUNTOS_LIMA[:3]]
    ruta = despacho.ruta(despacho.transportista("HOJ-001"))
    assert _asignar(despacho, ruta, *pedidos).status_code == 200
    orden = [a["pedido_id"] for a in despacho.client.post(f"/api/rutas/{ruta}/optimizar/?segundos=0.2",
                                                          headers=despacho.admin).json()["paradas"]]
    res = despacho.client.get(f"/api/rutas/{ruta}/hoja/", headers=despacho.admin)
    assert res.status_code == 200 and res.headers["content-type"] == "application/pdf"
    pagina = pypdfium2.PdfDocument(io.BytesIO(res.content))[0]
    texto = pagina.get_textpage().get_text_range()
    assert "María Quispe" in texto and "Av. Larco 345" in texto and "3 kg" in texto
    assert [texto.index(f"PED-{pid}") for pid in orden] == sorted(texto.index(f"PED-{pid}") for pid in orden)
    qrs = sorted(c.data.decode() for c in decode(pagina.render(scale=4).to_pil()))
    assert qrs == sorted(f"http://127.0.0.1:8000/entregas/{pid}/confirmar" for pid in pedidos)  # the driver page


def test_a_day_plan_commits_all_its_routes_or_nothing(despacho, monkeypatch):
    """An order another dispatcher cancels while the solver runs fails the plan's last route: the routes,
    assignments and events of the routes already written are rolled back with it."""
    from sqlalchemy import text

    from core.db import session_scope
    from services.distribucion import rutas
    from tests.ventas_fixtures import contar

    p = despacho.producto("TX", stock="100", peso="20")
    pedidos = [despacho.pedido(p, "1", punto=pt)["id"] for pt in PUNTOS_LIMA[:6]]
    despacho.transportista("TXA-001", peso="60", limite=3)
    despacho.transportista("TXA-002", peso="60", limite=3)
    resolver = optimizacion.resolver

    def resolver_y_cancelar(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        plan = resolver(*args, **kwargs)
        if kwargs.get("opcionales"):  # the day's plan (not a route's own optimisation, under its locks)
            with session_scope() as s:  # committed by another transaction meanwhile
                s.execute(text("UPDATE pedidos SET estado = 'CANCELADO' WHERE id = :p"),
                          {"p": plan.recorridos[-1].paradas[-1]})
        return plan

    monkeypatch.setattr(rutas.optimizacion, "resolver", resolver_y_cancelar)
    res = despacho.client.post("/api/rutas/planificar/", headers=despacho.admin, json={
        "almacen_id": despacho.tienda.almacen_id, "fecha": str(hoy_lima()), "segundos": 0.3})
    assert res.status_code == 409 and "CANCELADO" in res.json()["message"], res.text
    assert contar("rutas") == 0 and contar("asignaciones_pedido") == 0
    assert contar("eventos_pedido", "estado_nuevo = 'PLANIFICADO'") == 0
    with session_scope() as s:
        estados = s.execute(text("SELECT estado, count(*) FROM pedidos WHERE id = ANY(:ids) GROUP BY estado"),
                            {"ids": pedidos}).all()
    assert dict(estados) == {"PENDIENTE": 5, "CANCELADO": 1}
    monkeypatch.undo()
    res = despacho.client.post("/api/rutas/planificar/", headers=despacho.admin, json={
        "almacen_id": despacho.tienda.almacen_id, "fecha": str(hoy_lima()), "segundos": 0.3})
    assert res.status_code == 201 and sum(len(r["paradas"]) for r in res.json()["rutas"]) == 5


def test_concurrent_assignments_on_the_real_server_keep_one_route_per_order_and_the_limits(despacho, servidor):
    """Two dispatchers at once: the same order onto two routes → one 200, one 409; two orders that each fit
    the carrier but not together, onto two of its routes → one 200, one 400 naming the limit."""
    import threading

    import httpx

    from tests.ventas_fixtures import contar

    p = despacho.producto("CONC", stock="100", peso="30")
    rutas = [despacho.ruta(despacho.transportista(f"CON-00{i}")) for i in (1, 2)]
    t = despacho.transportista("CON-003", peso="50")
    del_mismo = [despacho.ruta(t), despacho.ruta(t)]

    def a_la_vez(pares: list[tuple[int, int]]) -> list[httpx.Response]:
        barrera, respuestas = threading.Barrier(len(pares)), [None] * len(pares)

        def asignar(i: int) -> None:
            with httpx.Client(base_url=servidor, headers=despacho.admin, timeout=30) as http:
                barrera.wait()
                respuestas[i] = http.post(f"/api/rutas/{pares[i][0]}/asignar/", json={"pedidos": [pares[i][1]]})

        hilos = [threading.Thread(target=asignar, args=(i,)) for i in range(len(pares))]
        for hilo in hilos:
            hilo.start()
        for hilo in hilos:
            hilo.join()
        return respuestas

    for _ in range(3):
        pedido = despacho.pedido(p, "1")["id"]
        codigos = sorted(r.status_code for r in a_la_vez([(rutas[0], pedido), (rutas[1], pedido)]))
        assert codigos == [200, 409], codigos
        assert contar("asignaciones_pedido", "pedido_id = :p AND estado = 'ACTIVA'", p=pedido) == 1
    uno, dos = despacho.pedido(p, "1")["id"], despacho.pedido(p, "1")["id"]  # 30 kg each, 50 kg van
    respuestas = a_la_vez([(del_mismo[0], uno), (del_mismo[1], dos)])
    assert sorted(r.status_code for r in respuestas) == [200, 400]
    rechazo = next(r for r in respuestas if r.status_code == 400).json()
    assert rechazo["errors"][0]["field"] == "capacidad_max_peso" and "exceso 10 kg" in rechazo["message"]


def test_a_driver_reads_only_the_orders_routes_and_position_of_their_own_vehicle(despacho, make_user):
    from tests.distribucion.fixtures import chofer

    p = despacho.producto("VER", stock="10")
    mio, ajeno, sin_ruta = despacho.pedido(p), despacho.pedido(p), despacho.pedido(p)
    t1, chofer1 = chofer(despacho, make_user, "VER-101")
    t2, _ = chofer(despacho, make_user, "VER-202")
    r1, r2 = despacho.ruta(t1), despacho.ruta(t2)
    assert _asignar(despacho, r1, mio["id"]).status_code == 200
    assert _asignar(despacho, r2, ajeno["id"]).status_code == 200
    get = despacho.client.get
    listado = get("/api/pedidos/", headers=chofer1).json()
    assert [i["id"] for i in listado["items"]] == [mio["id"]]
    assert get(f"/api/pedidos/?transportista_id={t2}", headers=chofer1).json()["items"] == []
    assert get(f"/api/pedidos/{mio['id']}/", headers=chofer1).status_code == 200
    for url in (f"/api/pedidos/{ajeno['id']}/", f"/api/pedidos/{sin_ruta['id']}/", f"/api/rutas/{r2}/",
                f"/api/rutas/{r2}/hoja/", f"/api/transportistas/{t2}/ubicacion/"):
        assert get(url, headers=chofer1).status_code == 403, url
    assert get(f"/api/rutas/{r1}/", headers=chofer1).status_code == 200
    assert get("/api/pedidos/", headers=despacho.admin).json()["total"] == 3  # the dispatcher sees every order
    _, sin_vehiculo = make_user("TRANSPORTISTA")
    assert get("/api/pedidos/", headers=sin_vehiculo).json()["total"] == 0
