"""The service side of the one tax calculator (integrations/sunat/totales.py): what a sale, a quote, an order,
a comprobante or a note charges is ``totales.calcular_importes`` of the same lines, global discounts/charges
and the company's rates. This module turns our inputs (products, request bodies, stored rows) into the
calculator's lines and its ValueErrors into 400s naming the field."""

from decimal import Decimal
from typing import Any

from pydantic import Field
from sqlmodel import Session

from core.errors import FieldError, ValidationError
from core.schemas import Entrada
from integrations.sunat import documento as doc
from integrations.sunat.totales import Tasas, Totales, TotalesLinea, calcular_importes
from models.inventario import Producto
from services import configuracion as configuracion_srv

GLOBALES = ("02", "03", "49", "50")  # catálogo 53 at document level (04, advances, is not supported)


class DescuentoCargoIn(Entrada):
    """A discount or charge on the whole document (catálogo 53): 02 discount affecting the IGV base, 03 discount
    that does not (an amount off what the customer pays), 49 / 50 charges affecting / not affecting the base.
    ``monto`` (for 02/49 without IGV) or ``porcentaje`` of the base, exactly one."""

    codigo: str = Field(pattern="^(02|03|49|50)$")
    monto: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=2)
    porcentaje: Decimal | None = Field(default=None, gt=0, le=100, max_digits=7, decimal_places=3)


def tasas(session: Session) -> Tasas:
    config = configuracion_srv.obtener(session)
    return Tasas(igv=config.igv_tasa, icbper=config.icbper_tarifa)


def validar_globales(globales: list[DescuentoCargoIn], campo: str = "descuentos_cargos") -> None:
    for i, dc in enumerate(globales):
        if (dc.monto is None) == (dc.porcentaje is None):
            raise ValidationError("Indique monto o porcentaje, uno de los dos", field=f"{campo}.{i}.monto")


def globales_json(globales: list[DescuentoCargoIn]) -> list[dict[str, Any]]:
    """As stored on the sale, quote or comprobante (the input, so the document is rebuilt identically)."""
    validar_globales(globales)
    return [{"codigo": dc.codigo, "monto": str(dc.monto) if dc.monto is not None else None,
             "factor": str(dc.porcentaje / 100) if dc.porcentaje is not None else None} for dc in globales]


def globales_sunat(guardados: list[dict[str, Any]]) -> list[doc.DescuentoCargo]:
    return [doc.DescuentoCargo(g["codigo"], monto=Decimal(g["monto"]) if g.get("monto") is not None else None,
                               factor=Decimal(g["factor"]) if g.get("factor") is not None else None)
            for g in guardados]


def bolsas(producto: Producto, cantidad: Decimal, campo: str) -> int:
    """Plastic bags in a line of `producto` (ICBPER is charged per whole bag)."""
    if not producto.bolsa_plastica:
        return 0
    if cantidad != cantidad.to_integral_value():
        raise ValidationError("Las bolsas plásticas (ICBPER) se venden por unidad entera", field=f"{campo}cantidad")
    return int(cantidad)


def linea_de_producto(producto: Producto, cantidad: Decimal, precio: Decimal | None, descuento: Decimal,
                      campo: str) -> doc.Linea:
    """A product line as the calculator takes it: priced with IGV when the product's price includes it."""
    unitario = precio if precio is not None else producto.precio
    if descuento > unitario * cantidad:
        raise ValidationError("El descuento no puede superar el importe de la línea", field=f"{campo}descuento")
    con_igv = producto.precio_incluye_igv
    return doc.Linea(producto.sku, producto.nombre, cantidad, valor_unitario=None if con_igv else unitario,
                     precio_unitario=unitario if con_igv else None, unidad_medida=producto.unidad_medida,
                     afectacion_igv=producto.afectacion_igv, descuento=descuento,
                     icbper_cantidad=bolsas(producto, cantidad, campo))


def calcular(session: Session, lineas: list[doc.Linea], globales: list[doc.DescuentoCargo]) -> Totales:
    """``calcular_importes`` with the company's rates; a line or discount it cannot price is a 400."""
    try:
        totales = calcular_importes(lineas, globales, tasas(session))
    except ValueError as exc:
        raise ValidationError(str(exc), errors=[FieldError("lineas", str(exc))]) from exc
    if totales.importe_total < 0:
        raise ValidationError("Los descuentos globales superan el importe del comprobante",
                              field="descuentos_cargos")
    return totales


def linea_total(tl: TotalesLinea) -> Decimal:
    """What the customer pays for one line: nothing of a free line's value, but its bags' ICBPER."""
    return tl.icbper if tl.es_gratuita else tl.valor_venta + tl.total_impuestos
