"""Document model of SUNAT electronic documents (CPE): plain dataclasses, no I/O.

Money is ``Decimal``; dates are ``datetime.date`` / ``datetime.time``. Tax rates (IGV, IVAP, ICBPER per bag)
are inputs on :class:`Comprobante`; the calculator in :mod:`integrations.sunat.totales` never hard-codes them.

Documents: :class:`Comprobante` (01 factura, 03 boleta, 07 nota de crédito, 08 nota de débito),
:class:`ResumenDiario` (RC) and :class:`ComunicacionBaja` (RA).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal

IGV_TASA_DEFAULT = Decimal("0.18")
IVAP_TASA_DEFAULT = Decimal("0.04")
ICBPER_TARIFA_DEFAULT = Decimal("0.50")  # S/ per plastic bag since 2023 (Ley 30884)


@dataclass
class Direccion:
    direccion: str
    ubigeo: str = ""  # INEI 6 digits, e.g. "150101"
    departamento: str = ""
    provincia: str = ""
    distrito: str = ""
    urbanizacion: str = ""
    pais: str = "PE"


@dataclass
class Emisor:
    ruc: str
    razon_social: str
    direccion: Direccion
    nombre_comercial: str = ""
    codigo_establecimiento: str = "0000"  # "0000" = domicilio fiscal (AddressTypeCode)


@dataclass
class Adquirente:
    tipo_documento: str  # catálogo 06: "6" RUC, "1" DNI, "0" sin doc, "4" CE, "7" pasaporte, ...
    numero_documento: str
    nombre: str
    direccion: str = ""
    pais: str = ""  # ISO 3166-1 alpha-2, written for customers abroad (exportación)


@dataclass
class DescuentoCargo:
    """A discount or charge (catálogo 53). Give ``monto``, or ``factor`` (e.g. 0.10) to apply on the base.

    ``base`` is optional: when omitted the calculator uses the line's valor de venta (line level) or the
    document's base (global level).
    """

    codigo: str
    monto: Decimal | None = None
    factor: Decimal | None = None
    base: Decimal | None = None


@dataclass
class Linea:
    codigo_producto: str
    descripcion: str
    cantidad: Decimal
    valor_unitario: Decimal | None = None  # sin impuestos; for gratuitas the valor referencial
    unidad_medida: str = "NIU"  # catálogo 03
    afectacion_igv: str = "10"  # catálogo 07
    isc_sistema: str | None = None  # catálogo 08
    isc_tasa: Decimal | None = None  # rate (01, 03) or fixed amount per unit (02)
    isc_precio_publico: Decimal | None = None  # unit public price (sistema 03)
    icbper_cantidad: int = 0  # number of plastic bags
    descuentos_cargos: list[DescuentoCargo] = field(default_factory=list)
    codigo_producto_sunat: str = ""  # UNSPSC, optional
    # Give valor_unitario or precio_unitario (con IGV/IVAP: the shelf price), never both. With a price the line
    # total is price × quantity − descuento and the calculator derives valor unitario, base and IGV from it.
    precio_unitario: Decimal | None = None
    descuento: Decimal = Decimal("0")  # line discount (code 00), in the terms of the unit amount given


@dataclass
class Cuota:
    monto: Decimal
    fecha_vencimiento: date


@dataclass
class FormaPago:
    tipo: str = "Contado"  # "Contado" | "Credito"
    cuotas: list[Cuota] = field(default_factory=list)
    monto_pendiente: Decimal | None = None  # Credito: None -> the whole document net of the detracción

    @classmethod
    def contado(cls) -> FormaPago:
        return cls("Contado")

    @classmethod
    def credito(cls, cuotas: list[Cuota], monto_pendiente: Decimal | None = None) -> FormaPago:
        """`monto_pendiente`: what is left to pay when part was paid at issue (a partial credit sale)."""
        return cls("Credito", list(cuotas), monto_pendiente)


@dataclass
class Detraccion:
    codigo_bien_servicio: str  # catálogo 54
    porcentaje: Decimal  # e.g. Decimal("12")
    cuenta_banco_nacion: str
    monto: Decimal | None = None  # None -> computed from the total (always in PEN)
    medio_pago: str = "001"  # catálogo 59


@dataclass
class DocumentoReferencia:
    tipo_documento: str  # "01" | "03"
    serie: str
    numero: int

    @property
    def serie_numero(self) -> str:
        return f"{self.serie}-{self.numero}"


@dataclass
class Comprobante:
    tipo_documento: str  # "01" | "03" | "07" | "08"
    serie: str
    numero: int | None  # None until numbered
    fecha_emision: date
    emisor: Emisor
    adquirente: Adquirente
    lineas: list[Linea]
    hora_emision: time = time(0, 0, 0)
    moneda: str = "PEN"
    tipo_cambio: Decimal | None = None  # PEN per unit of moneda, for USD documents
    tipo_operacion: str = "0101"  # catálogo 51
    descuentos_cargos: list[DescuentoCargo] = field(default_factory=list)  # global level
    forma_pago: FormaPago | None = None  # None -> Contado for facturas
    detraccion: Detraccion | None = None
    documento_referencia: DocumentoReferencia | None = None  # notes
    motivo_codigo: str = ""  # catálogo 09 (NC) / 10 (ND)
    motivo_descripcion: str = ""
    fecha_vencimiento: date | None = None
    orden_compra: str = ""
    observaciones: str = ""
    tasa_igv: Decimal = IGV_TASA_DEFAULT
    tasa_ivap: Decimal = IVAP_TASA_DEFAULT
    tarifa_icbper: Decimal = ICBPER_TARIFA_DEFAULT
    redondeo: Decimal = Decimal("0")

    @property
    def serie_numero(self) -> str:
        return f"{self.serie}-{self.numero if self.numero is not None else 0}"

    @property
    def es_nota(self) -> bool:
        return self.tipo_documento in ("07", "08")


def nombre_archivo(ruc: str, tipo_documento: str, serie: str, numero: int | str) -> str:
    """SUNAT file name without extension: ``RUC-TT-SERIE-NUMERO`` (e.g. ``20100066603-01-F001-1``).

    Summaries and voided documents use ``RUC-RC-YYYYMMDD-N`` / ``RUC-RA-YYYYMMDD-N``: pass tipo "RC"/"RA",
    serie ``YYYYMMDD`` and the correlativo.
    """
    return f"{ruc}-{tipo_documento}-{serie}-{numero}"


def nombre_archivo_comprobante(comprobante: Comprobante) -> str:
    if comprobante.numero is None:
        raise ValueError("el comprobante aún no tiene número")
    return nombre_archivo(comprobante.emisor.ruc, comprobante.tipo_documento, comprobante.serie,
                          comprobante.numero)


@dataclass
class ResumenLinea:
    """One boleta (or a note that modifies a boleta) inside a resumen diario.

    The amounts are computed from ``comprobante`` by the calculator; ``estado`` is catálogo 19.
    """

    comprobante: Comprobante
    estado: str = "1"  # 1 adicionar, 2 modificar, 3 anular


@dataclass
class ResumenDiario:
    emisor: Emisor
    fecha_referencia: date  # fecha de emisión of the boletas
    fecha_generacion: date
    correlativo: int
    lineas: list[ResumenLinea]

    @property
    def identificador(self) -> str:
        return f"RC-{self.fecha_generacion:%Y%m%d}-{self.correlativo}"

    @property
    def nombre_archivo(self) -> str:
        return f"{self.emisor.ruc}-{self.identificador}"


@dataclass
class BajaLinea:
    tipo_documento: str
    serie: str
    numero: int
    motivo: str


@dataclass
class ComunicacionBaja:
    emisor: Emisor
    fecha_referencia: date  # fecha de emisión of the voided documents
    fecha_generacion: date
    correlativo: int
    lineas: list[BajaLinea]

    @property
    def identificador(self) -> str:
        return f"RA-{self.fecha_generacion:%Y%m%d}-{self.correlativo}"

    @property
    def nombre_archivo(self) -> str:
        return f"{self.emisor.ruc}-{self.identificador}"
