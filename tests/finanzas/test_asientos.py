"""Module 6: the PCGE chart, cost centres, the posting configuration and journal entries, whose rules the
service and the database both hold."""

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.db import session_scope
from services.finanzas.asientos import hoy


def _linea(cuenta: str, debe: str = "0", haber: str = "0", **extra: object) -> dict:
    return {"cuenta": cuenta, "debe": debe, "haber": haber, **extra}


def _asiento(*lineas: dict, **extra: object) -> dict:
    return {"fecha": str(hoy()), "descripcion": "Aporte de capital", "lineas": list(lineas), **extra}


@pytest.fixture
def contador(make_user):
    return make_user("CONTADOR")[1]


@pytest.fixture
def centro(client, contador) -> int:
    res = client.get("/api/finanzas/centros-costo/", headers=contador)
    return next(c["id"] for c in res.json()["items"] if c["predeterminado"])


def test_pcge_seeded_with_the_posting_table_accounts_and_their_configuration(client, contador):
    cuentas = {c["codigo"]: c for c in client.get("/api/finanzas/cuentas-contables/?limit=200",
                                                   headers=contador).json()["items"]}
    for codigo in ("101", "1041", "1212", "122", "20111", "40111", "40189", "4212", "422", "6011", "6091", "6111",
                   "6411", "6391", "676", "6911", "701111", "7041", "7091", "776"):
        assert cuentas[codigo]["acepta_movimiento"], codigo
    assert not cuentas["12"]["acepta_movimiento"] and not cuentas["121"]["acepta_movimiento"]
    assert (cuentas["1212"]["tipo"], cuentas["1212"]["naturaleza"]) == ("ACTIVO", "DEUDORA")
    assert (cuentas["40111"]["tipo"], cuentas["40111"]["naturaleza"]) == ("PASIVO", "ACREEDORA")
    assert (cuentas["7091"]["naturaleza"], cuentas["6911"]["tipo"]) == ("DEUDORA", "COSTO")
    assert cuentas["1212"]["padre_id"] == cuentas["121"]["id"]
    config = {o["clave"]: o["cuenta"] for o in client.get("/api/finanzas/configuracion-cuentas/?limit=200",
                                                           headers=contador).json()["items"]}
    assert (config["VENTA_CXC"], config["VENTA_IGV"], config["VENTA_ICBPER"], config["COSTO_VENTA"],
            config["DIFERENCIA_CAMBIO_GANANCIA"], config["DIFERENCIA_CAMBIO_PERDIDA"],
            config["TESORERIA_EFECTIVO"]) == ("1212", "40111", "40189", "6911", "776", "676", "101")


def test_accountant_adds_subaccounts_reconfigures_postings_and_deactivates(client, contador):
    res = client.post("/api/finanzas/cuentas-contables/", headers=contador,
                      json={"codigo": "10421", "nombre": "BCP cuenta detracciones"})
    assert res.status_code == 201, res.text
    assert res.json()["acepta_movimiento"]
    cuentas = {c["codigo"]: c for c in client.get("/api/finanzas/cuentas-contables/?limit=200",
                                                   headers=contador).json()["items"]}
    assert res.json()["padre_id"] == cuentas["1042"]["id"] and not cuentas["1042"]["acepta_movimiento"]
    res = client.post("/api/finanzas/cuentas-contables/", headers=contador, json={"codigo": "99999", "nombre": "x"})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "codigo"
    res = client.put("/api/finanzas/configuracion-cuentas/TESORERIA_YAPE/", headers=contador, json={"cuenta": "12"})
    assert res.status_code == 400  # not a leaf
    res = client.put("/api/finanzas/configuracion-cuentas/TESORERIA_YAPE/", headers=contador, json={"cuenta": "106"})
    assert res.status_code == 200 and res.json()["cuenta"] == "106"
    res = client.patch("/api/finanzas/cuentas-contables/106/", headers=contador, json={"activo": False})
    assert res.status_code == 409  # used by the configuration
    res = client.patch("/api/finanzas/cuentas-contables/102/", headers=contador, json={"activo": False})
    assert res.status_code == 200 and res.json()["activo"] is False


def test_cuenta_configurada_no_se_divide(client, contador):
    res = client.post("/api/finanzas/cuentas-contables/", headers=contador, json={"codigo": "12121", "nombre": "x"})
    assert res.status_code == 409 and "configurada" in res.json()["message"]


def test_balanced_manual_entry_is_posted_with_cuo_and_lines(client, contador, centro):
    res = client.post("/api/finanzas/asientos/", headers=contador, json=_asiento(
        _linea("1041", debe="1000.00"), _linea("501", haber="1000.00"), centro_costo_id=centro))
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["cuo"] == str(body["id"]) and body["periodo"] == f"{hoy():%Y%m}" and body["origen"] == "MANUAL"
    assert [(linea["numero"], linea["cuenta"], linea["debe"], linea["haber"]) for linea in body["lineas"]] == [
        (1, "1041", "1000.00", "0.00"), (2, "501", "0.00", "1000.00")]


def test_unbalanced_entry_is_400_naming_the_difference(client, contador, centro):
    res = client.post("/api/finanzas/asientos/", headers=contador, json=_asiento(
        _linea("1041", debe="1000.00"), _linea("501", haber="999.90"), centro_costo_id=centro))
    assert res.status_code == 400
    assert res.json()["errors"][0]["field"] == "lineas"
    assert "diferencia 0.10" in res.json()["message"]


def test_entry_without_cost_centre_is_400(client, contador):
    res = client.post("/api/finanzas/asientos/", headers=contador, json=_asiento(
        _linea("1041", debe="10.00"), _linea("501", haber="10.00")))
    assert res.status_code == 400
    assert {e["field"] for e in res.json()["errors"]} == {"lineas.0.centro_costo_id", "lineas.1.centro_costo_id"}


def test_inactive_or_non_leaf_account_is_400(client, contador, centro):
    client.patch("/api/finanzas/cuentas-contables/102/", headers=contador, json={"activo": False})
    res = client.post("/api/finanzas/asientos/", headers=contador, json=_asiento(
        _linea("102", debe="10.00"), _linea("501", haber="10.00"), centro_costo_id=centro))
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "lineas.0.cuenta"
    assert "inactiva" in res.json()["message"]
    res = client.post("/api/finanzas/asientos/", headers=contador, json=_asiento(
        _linea("10", debe="10.00"), _linea("501", haber="10.00"), centro_costo_id=centro))
    assert res.status_code == 400 and "último nivel" in res.json()["message"]


@pytest.mark.parametrize("linea", [_linea("1041", debe="-5.00"), _linea("1041", debe="5.00", haber="5.00"),
                                   _linea("1041")])
def test_amounts_are_non_negative_and_on_exactly_one_side(client, contador, centro, linea):
    res = client.post("/api/finanzas/asientos/", headers=contador,
                      json=_asiento(linea, _linea("501", haber="5.00"), centro_costo_id=centro))
    assert res.status_code == 400, res.text
    assert res.json()["errors"][0]["field"].startswith("lineas.0")


def test_posted_entries_are_immutable_and_corrected_by_reversal(client, contador, centro, owner_engine):
    asiento = client.post("/api/finanzas/asientos/", headers=contador, json=_asiento(
        _linea("1041", debe="50.00"), _linea("501", haber="50.00"), centro_costo_id=centro)).json()
    for sql in ("UPDATE lineas_asiento SET debe = 60 WHERE asiento_id = :a AND numero = 1",
                "DELETE FROM lineas_asiento WHERE asiento_id = :a",
                "UPDATE asientos_contables SET descripcion = 'otra' WHERE id = :a",
                "DELETE FROM asientos_contables WHERE id = :a"):
        # The app's role has no UPDATE/DELETE on them; the trigger refuses even the owner.
        with pytest.raises(DBAPIError, match="permission denied"), session_scope() as s:
            s.execute(text(sql), {"a": asiento["id"]})
        with pytest.raises(DBAPIError, match="solo inserción"), owner_engine.begin() as s:
            s.execute(text(sql), {"a": asiento["id"]})
    res = client.post(f"/api/finanzas/asientos/{asiento['id']}/revertir/", headers=contador,
                      json={"motivo": "registrado por error"})
    assert res.status_code == 201, res.text
    reversion = res.json()
    assert reversion["revierte_id"] == asiento["id"]
    assert [(linea["cuenta"], linea["debe"], linea["haber"]) for linea in reversion["lineas"]] == [
        ("1041", "0.00", "50.00"), ("501", "50.00", "0.00")]
    again = client.post(f"/api/finanzas/asientos/{asiento['id']}/revertir/", headers=contador, json={"motivo": "x"})
    assert again.status_code == 409


def _raw_entry(s, centro: int, debe: Decimal, haber: Decimal) -> int:
    cuentas = dict(s.execute(text("SELECT codigo, id FROM cuentas_contables WHERE codigo IN ('1041', '501')"))
                   .all())
    aid = s.execute(text(
        "INSERT INTO asientos_contables (fecha, periodo, cuo, descripcion, centro_costo_id, referencia_tipo, "
        "referencia_id, origen, moneda, tipo_cambio, estado) VALUES (current_date, to_char(current_date, 'YYYYMM'), "
        "md5(random()::text), 'sql directo', :c, 'MANUAL', '', 'MANUAL', 'PEN', 1, 'CONTABILIZADO') RETURNING id"),
        {"c": centro}).scalar_one()
    for numero, (cuenta, d, h) in enumerate([("1041", debe, Decimal(0)), ("501", Decimal(0), haber)], 1):
        s.execute(text("INSERT INTO lineas_asiento (asiento_id, numero, fecha, cuenta_id, centro_costo_id, debe, "
                       "haber, descripcion) VALUES (:a, :n, current_date, :cu, :c, :d, :h, '')"),
                  {"a": aid, "n": numero, "cu": cuentas[cuenta], "c": centro, "d": d, "h": h})
    return aid


def test_raw_sql_cannot_break_the_rules_either(db, client, contador, centro):
    with pytest.raises(IntegrityError, match="descuadrado.*diferencia 0.01"), session_scope() as s:
        _raw_entry(s, centro, Decimal("10.00"), Decimal("9.99"))
    with session_scope() as s:  # balanced: accepted at commit
        _raw_entry(s, centro, Decimal("10.00"), Decimal("10.00"))
    with pytest.raises(IntegrityError, match="sin líneas"), session_scope() as s:
        s.execute(text(
            "INSERT INTO asientos_contables (fecha, periodo, cuo, descripcion, centro_costo_id, referencia_tipo, "
            "referencia_id, origen, moneda, tipo_cambio, estado) VALUES (current_date, '202601', 'vacio', 'x', :c, "
            "'MANUAL', '', 'MANUAL', 'PEN', 1, 'CONTABILIZADO')"), {"c": centro})
    with pytest.raises(IntegrityError, match="ck_lineas_un_lado"), session_scope() as s:
        _raw_entry(s, centro, Decimal("-1.00"), Decimal("-1.00"))
    with pytest.raises(IntegrityError, match="centro_costo_id"), session_scope() as s:
        aid = _raw_entry(s, centro, Decimal("1.00"), Decimal("1.00"))
        s.execute(text("INSERT INTO lineas_asiento (asiento_id, numero, fecha, cuenta_id, centro_costo_id, debe, "
                       "haber) VALUES (:a, 9, current_date, 1, NULL, 1, 0)"), {"a": aid})
    with pytest.raises(IntegrityError, match="no admite movimientos"), session_scope() as s:
        aid = _raw_entry(s, centro, Decimal("1.00"), Decimal("1.00"))
        padre = s.execute(text("SELECT id FROM cuentas_contables WHERE codigo = '10'")).scalar_one()
        s.execute(text("INSERT INTO lineas_asiento (asiento_id, numero, fecha, cuenta_id, centro_costo_id, debe, "
                       "haber, descripcion) VALUES (:a, 3, current_date, :cu, :c, 1, 0, '')"),
                  {"a": aid, "cu": padre, "c": centro})
    with session_scope() as s:
        guardados = s.execute(text("SELECT count(*) FROM asientos_contables WHERE descripcion = 'sql directo'"))
        assert guardados.scalar() == 1


def _linea_sql(s, asiento_id: int, numero: int, codigo: str, centro: int, debe: str, haber: str) -> None:
    s.execute(text("INSERT INTO lineas_asiento (asiento_id, numero, fecha, cuenta_id, centro_costo_id, debe, haber, "
                   "descripcion) SELECT :a, :n, a.fecha, c.id, :cc, :d, :h, '' "
                   "FROM asientos_contables a, cuentas_contables c WHERE a.id = :a AND c.codigo = :c"),
              {"a": asiento_id, "n": numero, "c": codigo, "cc": centro, "d": Decimal(debe), "h": Decimal(haber)})


def test_the_balance_is_checked_once_per_entry_whatever_writes_its_lines(db, client, contador, centro):
    """The check runs once per entry at COMMIT (migration 0025), still over every line: lines written in
    several statements, in a savepoint, or added later to a committed entry cannot leave it unbalanced."""
    with session_scope() as s:  # three statements that balance only together: accepted
        aid = _raw_entry(s, centro, Decimal("10.00"), Decimal("6.00"))
        _linea_sql(s, aid, 3, "501", centro, "0", "4.00")
    with pytest.raises(IntegrityError, match=f"asiento {aid} descuadrado.*diferencia 0.50"), session_scope() as s:
        _linea_sql(s, aid, 4, "1041", centro, "0.50", "0")  # a line added to a committed entry
    with pytest.raises(IntegrityError, match=f"asiento {aid} descuadrado.*diferencia -2.00"), session_scope() as s:
        _linea_sql(s, aid, 4, "1041", centro, "1.00", "0")  # two statements that still do not balance
        _linea_sql(s, aid, 5, "501", centro, "0", "3.00")
    with session_scope() as s:  # added later, but balanced: accepted
        _linea_sql(s, aid, 4, "1041", centro, "1.00", "0")
        _linea_sql(s, aid, 5, "501", centro, "0", "1.00")
    with pytest.raises(IntegrityError, match="descuadrado.*diferencia 1.00"), session_scope() as s:
        nuevo = _raw_entry(s, centro, Decimal("5.00"), Decimal("5.00"))
        with s.begin_nested():  # the entry's lines in a savepoint of their own
            _linea_sql(s, nuevo, 3, "1041", centro, "1.00", "0")
    with session_scope() as s:
        assert s.execute(text("SELECT sum(debe), sum(haber), count(*) FROM lineas_asiento WHERE asiento_id = :a"),
                         {"a": aid}).one() == (Decimal("11.00"), Decimal("11.00"), 5)
        disparadores = dict(s.execute(text(
            "SELECT tgname, tgtype FROM pg_trigger WHERE tgrelid = 'lineas_asiento'::regclass")).all())
    assert "lineas_asiento_cuadra" not in disparadores  # no per-line check left
    assert disparadores["lineas_asiento_por_verificar"] & 1 == 0  # FOR EACH STATEMENT


def test_vendedor_cannot_post_entries(client, make_user, centro):
    _, vendedor = make_user("VENDEDOR")
    res = client.post("/api/finanzas/asientos/", headers=vendedor, json=_asiento(
        _linea("1041", debe="1.00"), _linea("501", haber="1.00"), centro_costo_id=centro))
    assert res.status_code == 403


def test_libro_mayor_has_opening_and_running_balance_and_diario_pages(client, contador, centro):
    from datetime import timedelta

    anterior = hoy().replace(day=1) - timedelta(days=1)
    for fecha, monto in ((anterior, "100.00"), (hoy(), "30.00"), (hoy(), "20.00")):
        res = client.post("/api/finanzas/asientos/", headers=contador, json=_asiento(
            _linea("1041", debe=monto), _linea("501", haber=monto), centro_costo_id=centro, fecha=str(fecha)))
        assert res.status_code == 201, res.text
    res = client.post("/api/finanzas/asientos/", headers=contador, json=_asiento(
        _linea("501", debe="5.00"), _linea("1041", haber="5.00"), centro_costo_id=centro))
    periodo = f"{hoy():%Y%m}"
    mayor = client.get(f"/api/finanzas/libros/mayor/?periodo={periodo}&cuenta=1041&limit=2", headers=contador).json()
    assert mayor["saldo_inicial"] == "100.00" and mayor["movimientos"]["total"] == 3
    assert [m["saldo"] for m in mayor["movimientos"]["items"]] == ["130.00", "150.00"]
    siguiente = client.get(f"/api/finanzas/libros/mayor/?periodo={periodo}&cuenta=1041&limit=2&offset=2",
                           headers=contador).json()
    assert [(m["haber"], m["saldo"]) for m in siguiente["movimientos"]["items"]] == [("5.00", "145.00")]
    diario = client.get(f"/api/finanzas/libros/diario/?periodo={periodo}&limit=2", headers=contador).json()
    assert diario["total"] == 3 and len(diario["items"]) == 2
    balance = client.get(f"/api/finanzas/reportes/balance-comprobacion/?periodo={periodo}", headers=contador).json()
    fila = next(f for f in balance["filas"] if f["cuenta"] == "1041")
    assert (fila["saldo_inicial"], fila["debe"], fila["haber"], fila["saldo_final"]) == (
        "100.00", "50.00", "5.00", "145.00")
    assert balance["total_debe"] == balance["total_haber"] == "55.00"


def _paginas(client, headers: dict, url: str, lista: str | None, al_pasar=None) -> list[dict]:
    """Every row of a keyset-paged book, walked by `siguiente`; `al_pasar(n)` runs between pages."""
    filas, cursor, n = [], None, 0
    while True:
        res = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers)
        assert res.status_code == 200, res.text
        pagina = res.json()[lista] if lista else res.json()
        filas += pagina["items"]
        cursor = pagina["siguiente"]
        if cursor is None:
            return filas
        n += 1
        if al_pasar:
            al_pasar(n)


def test_books_walked_by_cursor_miss_and_repeat_nothing_while_entries_are_posted(client, contador, centro):
    from datetime import timedelta

    fin_anterior = hoy().replace(day=1) - timedelta(days=1)
    periodo = f"{fin_anterior:%Y%m}"

    def postear(dia: int, monto: str) -> int:
        res = client.post("/api/finanzas/asientos/", headers=contador, json=_asiento(
            _linea("1041", debe=monto), _linea("501", haber=monto), centro_costo_id=centro,
            fecha=str(fin_anterior.replace(day=dia))))
        assert res.status_code == 201, res.text
        return res.json()["id"]

    # 13 entries over a few days, several on the same day (the order inside a day is the entry id)
    originales = {postear(dia, f"{10 + i}.00") for i, dia in enumerate((5, 5, 5, 9, 9, 12, 12, 12, 12, 15, 20, 20, 27))}
    insertados: set[int] = set()

    def insertar(n: int) -> None:  # between pages: one entry before the cursor, one on a later day
        insertados.add(postear(2, "1.00"))
        insertados.add(postear(28, "2.00"))

    url = f"/api/finanzas/libros/mayor/?periodo={periodo}&cuenta=1041&limit=4"
    movimientos = _paginas(client, contador, url, "movimientos", insertar)
    vistos = [m["asiento_id"] for m in movimientos]
    assert len(vistos) == len(set(vistos)), "a row was repeated"
    assert originales <= set(vistos), "a row was missed"
    claves = [(m["fecha"], m["asiento_id"]) for m in movimientos]
    assert claves == sorted(claves)
    # every running balance is the opening balance plus the lines before it at the time its page was read
    assert movimientos[0]["saldo"] == movimientos[0]["debe"]

    # the same book walked again (nothing inserted): one running balance from start to end
    todo = _paginas(client, contador, url, "movimientos")
    esperado = Decimal("0")
    for m in todo:
        esperado += Decimal(m["debe"]) - Decimal(m["haber"])
        assert Decimal(m["saldo"]) == esperado
    assert len(todo) == len(originales) + len(insertados)

    # the diario, by cursor, while entries are posted (the ones dated before the cursor are not on this walk)
    existentes = originales | insertados
    diario = _paginas(client, contador, f"/api/finanzas/libros/diario/?periodo={periodo}&limit=5", None, insertar)
    ids = [a["id"] for a in diario]
    assert len(ids) == len(set(ids)) and existentes <= set(ids)
    assert [(a["fecha"], a["id"]) for a in diario] == sorted((a["fecha"], a["id"]) for a in diario)

    # by OFFSET the same walk repeats rows (what the cursor avoids)
    primera = client.get(url, headers=contador).json()["movimientos"]
    postear(1, "3.00")
    segunda = client.get(url + "&offset=4", headers=contador).json()["movimientos"]
    assert primera["items"][-1]["asiento_id"] == segunda["items"][0]["asiento_id"]

    # a cursor is bound to its query, and a forged one is a 400 naming it
    cursor = primera["siguiente"]
    otra = client.get(f"/api/finanzas/libros/mayor/?periodo={periodo}&cuenta=501&cursor={cursor}", headers=contador)
    assert otra.status_code == 400 and otra.json()["errors"][0]["field"] == "cursor"
    malo = client.get(f"{url}&cursor=bm9wZQ", headers=contador)
    assert malo.status_code == 400 and malo.json()["errors"][0]["field"] == "cursor"
