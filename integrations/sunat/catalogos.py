"""SUNAT catalog codes ("catálogos") used by the electronic-document pipeline.

Only the codes the pipeline needs are kept, as plain dicts code -> description, following the
"Anexo 8 - Catálogo de códigos" of the UBL 2.1 specs (Resolución 097-2012/SUNAT and updates).
Catalog 03 (units) is a real subset of UN/ECE Rec. 20 that covers common retail/industrial use.
"""

from dataclasses import dataclass

# Catálogo 01 - Tipo de documento
CAT_01_TIPO_DOCUMENTO: dict[str, str] = {
    "01": "FACTURA",
    "03": "BOLETA DE VENTA",
    "07": "NOTA DE CRÉDITO",
    "08": "NOTA DE DÉBITO",
    "09": "GUÍA DE REMISIÓN REMITENTE",
    "12": "TICKET DE MÁQUINA REGISTRADORA",
    "20": "COMPROBANTE DE RETENCIÓN",
    "31": "GUÍA DE REMISIÓN TRANSPORTISTA",
    "40": "COMPROBANTE DE PERCEPCIÓN",
}

FACTURA, BOLETA, NOTA_CREDITO, NOTA_DEBITO = "01", "03", "07", "08"

# Catálogo 02 - Monedas (subset of ISO 4217 accepted by the pipeline)
CAT_02_MONEDA: dict[str, str] = {"PEN": "SOLES", "USD": "DÓLARES AMERICANOS", "EUR": "EUROS"}

# Catálogo 03 - Unidades de medida (UN/ECE Rec. 20, subset)
CAT_03_UNIDAD_MEDIDA: dict[str, str] = {
    "NIU": "UNIDAD (BIENES)",
    "ZZ": "UNIDAD (SERVICIOS)",
    "KGM": "KILOGRAMO",
    "GRM": "GRAMO",
    "TNE": "TONELADA MÉTRICA",
    "LTR": "LITRO",
    "MLT": "MILILITRO",
    "GLL": "GALÓN (US)",
    "MTR": "METRO",
    "CMT": "CENTÍMETRO",
    "MMT": "MILÍMETRO",
    "KTM": "KILÓMETRO",
    "MTK": "METRO CUADRADO",
    "MTQ": "METRO CÚBICO",
    "FOT": "PIE",
    "INH": "PULGADA",
    "BX": "CAJA",
    "PK": "PAQUETE",
    "BG": "BOLSA",
    "BO": "BOTELLA",
    "CA": "LATA",
    "DZN": "DOCENA",
    "SET": "JUEGO",
    "PR": "PAR",
    "MIL": "MILLAR",
    "C62": "PIEZA",
    "RM": "RESMA",
    "BLL": "BARRIL (US)",
    "HUR": "HORA",
    "MIN": "MINUTO",
    "DAY": "DÍA",
    "MON": "MES",
    "KWH": "KILOVATIO HORA",
    "4A": "BOBINA",
    "TU": "TUBO",
    "CY": "CILINDRO",
}

# Catálogo 05 - Códigos de tipos de tributos: code -> (name, UN/ECE 5153 code, category)
@dataclass(frozen=True)
class Tributo:
    codigo: str
    nombre: str
    codigo_internacional: str
    categoria: str


CAT_05_TRIBUTO: dict[str, Tributo] = {
    "1000": Tributo("1000", "IGV", "VAT", "S"),
    "1016": Tributo("1016", "IVAP", "VAT", "S"),
    "2000": Tributo("2000", "ISC", "EXC", "S"),
    "7152": Tributo("7152", "ICBPER", "OTH", "S"),
    "9995": Tributo("9995", "EXP", "FRE", "G"),
    "9996": Tributo("9996", "GRA", "FRE", "Z"),
    "9997": Tributo("9997", "EXO", "VAT", "E"),
    "9998": Tributo("9998", "INA", "FRE", "O"),
    "9999": Tributo("9999", "OTROS", "OTH", "S"),
}

# Catálogo 06 - Tipo de documento de identidad
CAT_06_DOC_IDENTIDAD: dict[str, str] = {
    "0": "DOC.TRIB.NO.DOM.SIN.RUC",
    "1": "DNI",
    "4": "CARNET DE EXTRANJERÍA",
    "6": "RUC",
    "7": "PASAPORTE",
    "A": "CÉDULA DIPLOMÁTICA DE IDENTIDAD",
    "B": "DOC.IDENT.PAIS.RESIDENCIA-NO.D",
    "C": "TAX IDENTIFICATION NUMBER - TIN",
    "D": "IDENTIFICATION NUMBER - IN",
    "E": "TAM - TARJETA ANDINA DE MIGRACIÓN",
    "F": "PERMISO TEMPORAL DE PERMANENCIA - PTP",
    "G": "SALVOCONDUCTO",
    "H": "CARNÉ PERMISO TEMP. PERMANENCIA - CPP",
    "-": "VARIOS - VENTAS MENORES A S/.700.00 Y OTROS",
}
DOC_RUC, DOC_DNI, DOC_SIN = "6", "1", "0"

# Catálogo 07 - Tipo de afectación del IGV
CAT_07_AFECTACION_IGV: dict[str, str] = {
    "10": "Gravado - Operación Onerosa",
    "11": "Gravado - Retiro por premio",
    "12": "Gravado - Retiro por donación",
    "13": "Gravado - Retiro",
    "14": "Gravado - Retiro por publicidad",
    "15": "Gravado - Bonificaciones",
    "16": "Gravado - Retiro por entrega a trabajadores",
    "17": "Gravado - IVAP",
    "20": "Exonerado - Operación Onerosa",
    "21": "Exonerado - Transferencia gratuita",
    "30": "Inafecto - Operación Onerosa",
    "31": "Inafecto - Retiro por Bonificación",
    "32": "Inafecto - Retiro",
    "33": "Inafecto - Retiro por Muestras Médicas",
    "34": "Inafecto - Retiro por Convenio Colectivo",
    "35": "Inafecto - Retiro por premio",
    "36": "Inafecto - Retiro por publicidad",
    "37": "Inafecto - Transferencia gratuita",
    "40": "Exportación de Bienes o Servicios",
}
AFECTACION_GRAVADA_ONEROSA = frozenset({"10"})
AFECTACION_GRAVADA_GRATUITA = frozenset({"11", "12", "13", "14", "15", "16"})
AFECTACION_IVAP = frozenset({"17"})
AFECTACION_EXONERADA = frozenset({"20"})
AFECTACION_INAFECTA = frozenset({"30"})
AFECTACION_EXPORTACION = frozenset({"40"})
AFECTACION_GRATUITA = AFECTACION_GRAVADA_GRATUITA | frozenset({"21", "31", "32", "33", "34", "35", "36", "37"})


def tributo_de_afectacion(afectacion: str) -> str:
    """Catalog 05 code the line's main TaxSubtotal uses for a catalog 07 affectation."""
    if afectacion in AFECTACION_GRATUITA:
        return "9996"
    if afectacion in AFECTACION_IVAP:
        return "1016"
    return {"10": "1000", "20": "9997", "30": "9998", "40": "9995"}[afectacion]


# Catálogo 08 - Sistema de cálculo del ISC
CAT_08_SISTEMA_ISC: dict[str, str] = {
    "01": "Sistema al valor",
    "02": "Aplicación del monto fijo",
    "03": "Sistema de precios de venta al público",
}

# Catálogo 09 - Tipo de nota de crédito
CAT_09_TIPO_NOTA_CREDITO: dict[str, str] = {
    "01": "Anulación de la operación",
    "02": "Anulación por error en el RUC",
    "03": "Corrección por error en la descripción",
    "04": "Descuento global",
    "05": "Descuento por ítem",
    "06": "Devolución total",
    "07": "Devolución por ítem",
    "08": "Bonificación",
    "09": "Disminución en el valor",
    "10": "Otros conceptos",
    "11": "Ajustes de operaciones de exportación",
    "12": "Ajustes afectos al IVAP",
    "13": "Corrección del monto neto pendiente de pago y/o la(s) fechas(s) de vencimiento",
}

# Catálogo 10 - Tipo de nota de débito
CAT_10_TIPO_NOTA_DEBITO: dict[str, str] = {
    "01": "Intereses por mora",
    "02": "Aumento en el valor",
    "03": "Penalidades/ otros conceptos",
    "11": "Ajustes de operaciones de exportación",
    "12": "Ajustes afectos al IVAP",
}

# Catálogo 12 - Documentos relacionados tributarios (subset)
CAT_12_DOC_RELACIONADO: dict[str, str] = {
    "01": "Factura - emitida para corregir error en el RUC",
    "02": "Factura - emitida por anticipos",
    "03": "Boleta de Venta - emitida por anticipos",
    "04": "Ticket de Salida - ENAPU",
    "05": "Código SCOP",
    "99": "Otros",
}

# Catálogo 16 - Tipo de precio de venta unitario
CAT_16_TIPO_PRECIO: dict[str, str] = {
    "01": "Precio unitario (incluye el IGV)",
    "02": "Valor referencial unitario en operaciones no onerosas",
}

# Catálogo 19 - Estado del ítem en el resumen diario
CAT_19_ESTADO_RESUMEN: dict[str, str] = {"1": "Adicionar", "2": "Modificar", "3": "Anulado"}

# Catálogo 51 - Tipo de operación (subset)
CAT_51_TIPO_OPERACION: dict[str, str] = {
    "0101": "Venta interna",
    "0102": "Venta interna - Anticipos",
    "0104": "Venta interna - Sustenta gastos deducibles persona natural",
    "0112": "Venta interna - Sustenta gastos deducibles persona natural",
    "0200": "Exportación de bienes",
    "0201": "Exportación de servicios - prestación de servicios realizados íntegramente en el país",
    "0202": "Exportación de servicios - prestación de servicios de hospedaje no domiciliado",
    "0205": "Exportación de servicios - servicios prestados por el agente de aduana",
    "0206": "Exportación de servicios - servicios de transporte de carga al exterior",
    "0401": "Ventas no domiciliados que no califican como exportación",
    "1001": "Operación sujeta a detracción",
    "1002": "Operación sujeta a detracción - recursos hidrobiológicos",
    "1003": "Operación sujeta a detracción - servicios de transporte de pasajeros",
    "1004": "Operación sujeta a detracción - servicios de transporte de carga",
    "2001": "Operación sujeta a percepción",
}
OPERACIONES_EXPORTACION = frozenset({"0200", "0201", "0202", "0203", "0204", "0205", "0206", "0207", "0208"})
OPERACIONES_DETRACCION = frozenset({"1001", "1002", "1003", "1004"})

# Catálogo 52 - Códigos de leyendas
CAT_52_LEYENDA: dict[str, str] = {
    "1000": "Monto en letras",
    "1002": "TRANSFERENCIA GRATUITA DE UN BIEN Y/O SERVICIO PRESTADO GRATUITAMENTE",
    "2000": "COMPROBANTE DE PERCEPCIÓN",
    "2001": "BIENES TRANSFERIDOS EN LA AMAZONÍA REGIÓN SELVA PARA SER CONSUMIDOS EN LA MISMA",
    "2006": "Operación sujeta a detracción",
    "2007": "Operación sujeta al IVAP",
}
LEYENDA_MONTO_LETRAS, LEYENDA_GRATUITA, LEYENDA_DETRACCION, LEYENDA_IVAP = "1000", "1002", "2006", "2007"

# Catálogo 53 - Códigos de cargos o descuentos: code -> (is charge, level, affects tax base)
@dataclass(frozen=True)
class TipoDescuentoCargo:
    codigo: str
    descripcion: str
    es_cargo: bool
    nivel: str  # "linea" | "global"
    afecta_base: bool


CAT_53_DESCUENTO_CARGO: dict[str, TipoDescuentoCargo] = {
    t.codigo: t
    for t in (
        TipoDescuentoCargo("00", "Descuentos que afectan la base imponible del IGV/IVAP", False, "linea", True),
        TipoDescuentoCargo("01", "Descuentos que no afectan la base imponible del IGV/IVAP", False, "linea", False),
        TipoDescuentoCargo("02", "Descuentos globales que afectan la base imponible del IGV/IVAP", False, "global",
                           True),
        TipoDescuentoCargo("03", "Descuentos globales que no afectan la base imponible del IGV/IVAP", False,
                           "global", False),
        TipoDescuentoCargo("04", "Descuentos globales por anticipos gravados que afectan la base imponible", False,
                           "global", True),
        TipoDescuentoCargo("47", "Cargos que afectan la base imponible del IGV/IVAP", True, "linea", True),
        TipoDescuentoCargo("48", "Cargos que no afectan la base imponible del IGV/IVAP", True, "linea", False),
        TipoDescuentoCargo("49", "Cargos globales que afectan la base imponible del IGV/IVAP", True, "global", True),
        TipoDescuentoCargo("50", "Cargos globales que no afectan la base imponible del IGV/IVAP", True, "global",
                           False),
    )
}

# Catálogo 54 - Códigos de bienes y servicios sujetos a detracciones (subset): code -> (name, default %)
CAT_54_BIEN_SERVICIO_DETRACCION: dict[str, tuple[str, str]] = {
    "001": ("Azúcar y melaza de caña", "10"),
    "004": ("Recursos hidrobiológicos", "4"),
    "005": ("Maíz amarillo duro", "4"),
    "008": ("Madera", "4"),
    "009": ("Arena y piedra", "10"),
    "010": ("Residuos, subproductos, desechos, recortes y desperdicios", "15"),
    "012": ("Intermediación laboral y tercerización", "12"),
    "014": ("Carnes y despojos comestibles", "4"),
    "016": ("Aceite de pescado", "10"),
    "017": ("Harina, polvo y pellets de pescado, crustáceos, moluscos", "4"),
    "019": ("Arrendamiento de bienes muebles", "10"),
    "020": ("Mantenimiento y reparación de bienes muebles", "12"),
    "021": ("Movimiento de carga", "10"),
    "022": ("Otros servicios empresariales", "12"),
    "024": ("Comisión mercantil", "10"),
    "025": ("Fabricación de bienes por encargo", "10"),
    "026": ("Servicio de transporte de personas", "10"),
    "027": ("Servicio de transporte de carga", "4"),
    "030": ("Contratos de construcción", "4"),
    "031": ("Oro gravado con el IGV", "10"),
    "034": ("Minerales metálicos no auríferos", "10"),
    "037": ("Demás servicios gravados con el IGV", "12"),
    "039": ("Minerales no metálicos", "10"),
    "040": ("Bien inmueble gravado con IGV", "4"),
}

# Catálogo 59 - Medios de pago (subset)
CAT_59_MEDIO_PAGO: dict[str, str] = {
    "001": "Depósito en cuenta",
    "002": "Giro",
    "003": "Transferencia de fondos",
    "004": "Orden de pago",
    "005": "Tarjeta de débito",
    "006": "Tarjeta de crédito emitida en el país por una empresa del sistema financiero",
    "007": "Cheques con la cláusula de NO NEGOCIABLE",
    "008": "Efectivo, por operaciones en las que no existe obligación de utilizar medio de pago",
    "009": "Efectivo, en los demás casos",
    "010": "Medios de pago usados en comercio exterior",
    "011": "Documentos emitidos por las EDPYMES y las cooperativas de ahorro y crédito",
    "012": "Tarjeta de crédito emitida en el país o en el exterior por empresa no del sistema financiero",
    "013": "Tarjetas de crédito emitidas en el exterior por empresas bancarias o financieras no domiciliadas",
    "101": "Transferencias - Comercio exterior",
    "102": "Cheques bancarios - Comercio exterior",
    "999": "Otros medios de pago",
}

# Catálogo 18 - Modalidad de traslado (GRE)
CAT_18_MODALIDAD_TRASLADO: dict[str, str] = {"01": "Transporte público", "02": "Transporte privado"}
TRANSPORTE_PUBLICO, TRANSPORTE_PRIVADO = "01", "02"

# Catálogo 20 - Motivo de traslado (GRE remitente, RS 000123-2022/SUNAT)
CAT_20_MOTIVO_TRASLADO: dict[str, str] = {
    "01": "Venta",
    "02": "Compra",
    "03": "Venta con entrega a terceros",
    "04": "Traslado entre establecimientos de la misma empresa",
    "05": "Consignación",
    "06": "Devolución",
    "07": "Recojo de bienes transformados",
    "08": "Importación",
    "09": "Exportación",
    "13": "Otros",
    "14": "Venta sujeta a confirmación del comprador",
    "17": "Traslado de bienes para transformación",
    "18": "Traslado emisor itinerante CP",
}
