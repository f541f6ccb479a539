"""Point 1 of issue 10: one calculator. A price with IGV keeps the line total the customer pays to the céntimo
(price × quantity − discount) and the document built from it passes SUNAT's rules.

The sweep covers every shelf price S/ 0.01..100.00 × quantities 1..20 with pure functions: each price's twenty
quantities are one 20-line factura, built as UBL and checked by ``reglas.validar_reglas`` (line rules 3103, 4288,
4293 per line; document rules 4290, 4309, 4312), its PayableAmount compared with the sum the customer pays."""

import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from lxml import etree

from integrations.sunat import reglas
from integrations.sunat.documento import DescuentoCargo, Linea
from integrations.sunat.totales import Tasas, calcular, calcular_importes, calcular_linea
from integrations.sunat.ubl import NS, construir_xml
from tests.sunat.test_documentos import factura

C = Decimal("0.01")
CANTIDADES = range(1, 21)


def r2(x: Decimal) -> Decimal:
    return x.quantize(C, ROUND_HALF_UP)


def con_igv(precio: Decimal, cantidad: int | str = 1, afectacion: str = "10", **kw) -> Linea:
    return Linea("P1", "Producto", Decimal(cantidad), precio_unitario=precio, afectacion_igv=afectacion, **kw)


def payable(xml: bytes) -> Decimal:
    return Decimal(etree.fromstring(xml).findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS))


def montos_linea(xml: bytes) -> list[Decimal]:
    """LineExtensionAmount + line TaxAmount of every line, as written."""
    raiz = etree.fromstring(xml)
    return [Decimal(linea.findtext("cbc:LineExtensionAmount", namespaces=NS))
            + Decimal(linea.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=NS))
            for linea in raiz.findall("cac:InvoiceLine", NS)]


def test_twenty_items_at_30_centimos_are_6_soles_on_the_boleta():
    t = calcular_importes([con_igv(Decimal("0.30"), 20)])
    assert (t.valor_venta, t.igv, t.importe_total) == (Decimal("5.08"), Decimal("0.92"), Decimal("6.00"))
    dos = calcular_importes([con_igv(Decimal("0.30"), 20), con_igv(Decimal("2.18"), 1)])
    assert dos.importe_total == Decimal("8.18")


def test_every_price_and_quantity_pays_what_the_shelf_says():
    """10,000 prices × 20 quantities through the calculator: the line total is price × quantity to the céntimo,
    the unit price written is the shelf price, and the two line rules hold (oracles written out here):
    3103 base × 18 % = IGV ± 0.01, 4288 quantity × valor unitario = valor de venta ± 0.01."""
    tasas = Tasas()
    for centimos in range(1, 10001):
        precio = Decimal(centimos) / 100
        for q in CANTIDADES:
            tl = calcular_linea(con_igv(precio, q), tasas)
            assert tl.valor_venta + tl.total_impuestos == precio * q, (precio, q)
            assert tl.precio_unitario == precio, (precio, q)
            assert abs(tl.igv - tl.base_igv * tasas.igv) <= C, (precio, q)
            assert abs(q * tl.valor_unitario - tl.valor_venta) <= C, (precio, q)


LINEAS_POR_DOCUMENTO = 500  # SUNAT's usual maximum per document


def test_documents_of_every_fourth_price_pass_the_rules():
    """2,500 prices (every 4th, each at a different quantity 1..20) as 500-line facturas: each line's written
    amounts add up to price × quantity, PayableAmount is their sum and reglas.py finds nothing."""
    pares = [(Decimal(c) / 100, 1 + c % 20) for c in range(1, 10001, 4)]
    for inicio in range(0, len(pares), LINEAS_POR_DOCUMENTO):
        lote = pares[inicio:inicio + LINEAS_POR_DOCUMENTO]
        xml = construir_xml(factura(*[con_igv(precio, q) for precio, q in lote]))
        esperado = [precio * q for precio, q in lote]
        assert montos_linea(xml) == esperado, lote[0]
        assert payable(xml) == sum(esperado), lote[0]
        assert reglas.validar_reglas(xml) == [], lote[0]


@pytest.mark.parametrize("semilla", range(40))
def test_mixed_documents_with_exonerado_inafecto_discounts_bags_and_globals(semilla: int):
    azar = random.Random(semilla)
    lineas: list[Linea] = []
    cobrado: Decimal | None = Decimal(0)
    for _ in range(azar.randint(2, 6)):
        precio = Decimal(azar.randint(1, 10000)) / 100
        cantidad = Decimal(azar.choice(["1", "2", "3", "7", "12", "0.375", "1.5"]))
        afectacion = azar.choice(["10", "10", "20", "30", "17"])
        descuento = r2(precio * cantidad * Decimal(azar.choice([0, 0, 5, 10, 33])) / 100)
        bolsas = azar.choice([0, 0, 1, 2])
        if bolsas:  # plastic bags sold at S/ 0.10 each, plus ICBPER
            lineas.append(con_igv(Decimal("0.10"), bolsas, icbper_cantidad=bolsas))
            cobrado = None if cobrado is None else cobrado + Decimal("0.60") * bolsas
        if azar.random() < 0.3:  # a line priced without IGV
            valor = r2(precio / Decimal("1.18"))
            lineas.append(Linea("P", "Item", cantidad, valor, afectacion_igv=afectacion, descuento=descuento))
            cobrado = None
            continue
        lineas.append(con_igv(precio, cantidad, afectacion, descuento=descuento))
        if cobrado is not None:
            cobrado += r2(precio * cantidad - descuento)
    globales = azar.choice([[], [DescuentoCargo("02", factor=Decimal("0.05"))],
                            [DescuentoCargo("03", monto=Decimal("1.00"))],
                            [DescuentoCargo("49", monto=Decimal("2.00")), DescuentoCargo("50", monto=Decimal("0.70"))]])
    documento = factura(*lineas, descuentos_cargos=globales)
    xml = construir_xml(documento)
    assert reglas.validar_reglas(xml) == []
    t = calcular(documento)
    assert payable(xml) == t.importe_total == calcular_importes(lineas, globales, Tasas()).importe_total
    if not globales and cobrado is not None:  # every line priced with IGV: the shelf total, to the céntimo
        assert t.importe_total == cobrado


def test_a_line_takes_one_of_valor_or_precio():
    with pytest.raises(ValueError, match="uno de los dos"):
        calcular_importes([Linea("P", "X", Decimal(1), Decimal("1.00"), precio_unitario=Decimal("1.18"))])
    with pytest.raises(ValueError, match="uno de los dos"):
        calcular_importes([Linea("P", "X", Decimal(1))])


def test_line_discount_keeps_the_list_price_visible():
    t = calcular_importes([con_igv(Decimal("11.80"), 10, descuento=Decimal("11.80"))])
    linea = t.lineas[0]
    assert linea.valor_unitario == Decimal("10")  # list value without IGV
    assert [(d.codigo, d.monto, d.base) for d in linea.descuentos_cargos] == [("00", Decimal("10.00"),
                                                                               Decimal("100.00"))]
    assert t.importe_total == Decimal("106.20")
