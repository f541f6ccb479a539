"""PLE (Programa de Libros Electrónicos, SUNAT): the month's books as pipe-separated text in SUNAT's published
structures (R.S. 286-2009/SUNAT and its amendments, Anexo 2 "estructuras"), one ZIP per period.

| book | code | fields |
|---|---|---|
| 5.1 Libro Diario | 050100 | 21 |
| 5.3 Detalle del plan contable utilizado | 050300 | 8 |
| 6.1 Libro Mayor | 060100 | 21 (same layout as 5.1, ordered by account) |
| 8.1 Registro de Compras | 080100 | 42 (with ICBPER, field 22) |
| 14.1 Registro de Ventas e Ingresos | 140100 | 35 (with ICBPER, field 23) |

Formats: dates DD/MM/AAAA, amounts with two decimals and a point, exchange rates with three, every line ending
in "|", CRLF between lines, ISO-8859-1 text. Periodo AAAAMM00. CUO = the journal entry's id; correlativo
"M" + line number (M: a movement of the month). Field 20 of 5.1/6.1 links an entry to the register line it
comes from: book code & periodo & CUO & correlativo of the register line.

Since 2025 most taxpayers keep the sales and purchase registers in SIRE (RVIE/RCE) instead of PLE 14.1/8.1:
14.1 and 8.1 are still produced here (taxpayers outside SIRE, and the contador's working copy), and
`sire.py` compares our comprobantes with SUNAT's RVIE proposal.
"""

import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from core.errors import ValidationError
from services import configuracion as configuracion_srv

SEP = "|"
EOL = "\r\n"
DIARIO, PLAN, MAYOR, COMPRAS, VENTAS = "050100", "050300", "060100", "080100", "140100"
CAMPOS = {DIARIO: 21, PLAN: 8, MAYOR: 21, COMPRAS: 42, VENTAS: 35}
PLAN_PCGE = "01"  # tabla 17: Plan Contable General Empresarial


def fecha_ple(valor: date | None) -> str:
    return f"{valor:%d/%m/%Y}" if valor else ""


def importe(valor: Decimal | int | None) -> str:
    return f"{Decimal(valor or 0):.2f}"


def tasa(valor: Decimal | None) -> str:
    return f"{Decimal(valor or 1):.3f}"


def _texto(valor: object, largo: int) -> str:
    """Free text: no separators or line breaks, trimmed to the field's length."""
    limpio = " ".join(str(valor or "").replace(SEP, " ").split())
    return limpio[:largo]


def linea(campos: list[str]) -> str:
    return SEP.join(campos) + SEP


def periodo_ple(periodo: str) -> str:
    return f"{periodo}00"


def validar_periodo(periodo: str) -> tuple[date, date]:
    if len(periodo) != 6 or not periodo.isdigit() or not 1 <= int(periodo[4:]) <= 12:
        raise ValidationError("Periodo con formato AAAAMM", field="periodo")
    inicio = date(int(periodo[:4]), int(periodo[4:]), 1)
    fin = date(inicio.year + inicio.month // 12, inicio.month % 12 + 1, 1)
    return inicio, fin


# --- 5.1 / 6.1 ------------------------------------------------------------------------------------------------

_LINEAS = text("""
    SELECT a.id AS asiento_id, a.cuo, a.fecha, a.descripcion, a.moneda, a.referencia_tipo, a.referencia_id,
           l.numero, l.debe, l.haber, l.descripcion AS glosa_linea, c.codigo AS cuenta, cc.codigo AS centro,
           cp.tipo AS cp_tipo, cp.serie AS cp_serie, cp.numero AS cp_numero, cp.cliente_tipo_doc, cp.cliente_numero_doc,
           cp.fecha_emision AS cp_fecha, cxp.tipo_documento AS fp_tipo, cxp.documento AS fp_documento,
           cxp.proveedor_ruc, cxp.fecha_emision AS fp_fecha, cxp.fecha_vencimiento AS fp_vencimiento
    FROM asientos_contables a
    JOIN lineas_asiento l ON l.asiento_id = a.id
    JOIN cuentas_contables c ON c.id = l.cuenta_id
    JOIN centros_costo cc ON cc.id = l.centro_costo_id
    LEFT JOIN ventas v ON v.id = CASE WHEN a.referencia_tipo = 'VENTA' THEN a.referencia_id::int END
    LEFT JOIN comprobantes cp ON cp.id = CASE a.referencia_tipo WHEN 'COMPROBANTE' THEN a.referencia_id::int
                                                               WHEN 'VENTA' THEN v.comprobante_id END
    LEFT JOIN cuentas_por_pagar cxp
           ON cxp.id = CASE WHEN a.referencia_tipo = 'FACTURA_PROVEEDOR' THEN a.referencia_id::int END
    WHERE a.fecha >= :inicio AND a.fecha < :fin
    ORDER BY {orden}
""")


def _documento_de(f) -> tuple[str, str, str, str, str, date, str]:  # noqa: ANN001 - a result row
    """(tipo doc identidad, número, tipo comprobante, serie, número, fecha de operación, dato estructurado)."""
    periodo = periodo_ple(f"{f.fecha:%Y%m}")
    if f.cp_tipo is not None:
        enlace = f"{VENTAS}&{periodo}&{f.cuo}&M1" if f.referencia_tipo == "COMPROBANTE" else ""
        return (f.cliente_tipo_doc, f.cliente_numero_doc, f.cp_tipo, f.cp_serie, str(f.cp_numero), f.cp_fecha,
                enlace)
    if f.fp_tipo is not None:
        serie, _, numero = f.fp_documento.partition("-")
        return "6", f.proveedor_ruc, f.fp_tipo, serie, numero, f.fp_fecha, f"{COMPRAS}&{periodo}&{f.cuo}&M1"
    return "", "", "00", "", str(f.asiento_id), f.fecha, ""  # entry without a payment voucher (tabla 10: 00)


def _diario_o_mayor(session: Session, inicio: date, fin: date, orden: str) -> Iterator[str]:
    filas = session.execute(text(_LINEAS.text.format(orden=orden)), {"inicio": inicio, "fin": fin})
    for f in filas:
        tipo_id, numero_id, tipo_cp, serie, numero, fecha_op, enlace = _documento_de(f)
        yield linea([
            periodo_ple(f"{f.fecha:%Y%m}"), f.cuo, f"M{f.numero}", f.cuenta, "", f.centro, f.moneda, tipo_id,
            numero_id, tipo_cp, serie, numero, fecha_ple(f.fecha), "", fecha_ple(fecha_op),
            _texto(f.descripcion, 200), _texto(f.glosa_linea, 200), importe(f.debe), importe(f.haber), enlace, "1"])


def diario(session: Session, inicio: date, fin: date) -> Iterator[str]:
    return _diario_o_mayor(session, inicio, fin, "a.id, l.numero")


def mayor(session: Session, inicio: date, fin: date) -> Iterator[str]:
    return _diario_o_mayor(session, inicio, fin, "c.codigo, a.fecha, a.id, l.numero")


# --- 5.3 -------------------------------------------------------------------------------------------------------


def plan_contable(session: Session, inicio: date, fin: date) -> Iterator[str]:
    """The chart used: active accounts and any account with postings in the period."""
    filas = session.execute(text("""
        SELECT codigo, nombre FROM cuentas_contables c
        WHERE activo OR EXISTS (SELECT 1 FROM lineas_asiento l WHERE l.cuenta_id = c.id
                                AND l.fecha >= :inicio AND l.fecha < :fin)
        ORDER BY codigo"""), {"inicio": inicio, "fin": fin})
    for f in filas:
        yield linea([periodo_ple(f"{inicio:%Y%m}"), f.codigo, _texto(f.nombre, 100), PLAN_PCGE, "", "", "", "1"])


# --- 14.1 ------------------------------------------------------------------------------------------------------

_VENTAS = text("""
    SELECT c.*, a.cuo, o.fecha_emision AS o_fecha, o.tipo AS o_tipo, o.serie AS o_serie, o.numero AS o_numero,
           (SELECT min(x.fecha_vencimiento) FROM cuentas_por_cobrar x WHERE x.comprobante_id = c.id) AS vencimiento
    FROM comprobantes c
    JOIN asientos_contables a ON a.referencia_tipo = 'COMPROBANTE' AND a.referencia_id = c.id::text
                             AND a.revierte_id IS NULL
    LEFT JOIN comprobantes o ON o.id = c.comprobante_origen_id
    WHERE c.fecha_emision >= :inicio AND c.fecha_emision < :fin AND c.estado_sunat <> 'RECHAZADO'
    ORDER BY c.fecha_emision, c.tipo, c.serie, c.numero
""")


@dataclass(frozen=True)
class ImportesVenta:
    exportacion: Decimal
    gravada: Decimal
    igv: Decimal
    exonerada: Decimal
    inafecta: Decimal
    isc: Decimal
    icbper: Decimal
    total: Decimal


def importes_venta(c) -> ImportesVenta:  # noqa: ANN001 - a comprobantes row
    """The register's amounts in PEN (the books' currency): credit notes negative, voided documents zero."""
    signo = Decimal(-1) if c.tipo == "07" else Decimal(1)
    if c.estado_sunat == "ANULADO":
        signo = Decimal(0)
    factor = signo * (Decimal(c.tipo_cambio) if c.moneda != "PEN" and c.tipo_cambio else Decimal(1))

    def pen(valor: Decimal) -> Decimal:
        return (Decimal(valor) * factor).quantize(Decimal("0.01"))

    return ImportesVenta(pen(c.total_exportacion), pen(c.total_gravada), pen(c.total_igv), pen(c.total_exonerada),
                         pen(c.total_inafecta), pen(c.total_isc), pen(c.total_icbper), pen(c.total_venta))


def registro_ventas(session: Session, inicio: date, fin: date) -> Iterator[str]:
    for c in session.execute(_VENTAS, {"inicio": inicio, "fin": fin}):
        m = importes_venta(c)
        modificado = c.o_tipo is not None
        yield linea([
            periodo_ple(f"{inicio:%Y%m}"), c.cuo, "M1", fecha_ple(c.fecha_emision), fecha_ple(c.vencimiento), c.tipo,
            c.serie, str(c.numero), "", c.cliente_tipo_doc, c.cliente_numero_doc, _texto(c.cliente_razon_social, 100),
            importe(m.exportacion), importe(m.gravada), importe(0), importe(m.igv), importe(0), importe(m.exonerada),
            importe(m.inafecta), importe(m.isc), importe(0), importe(0), importe(m.icbper), importe(0),
            importe(m.total), c.moneda, tasa(c.tipo_cambio if c.moneda != "PEN" else None),
            fecha_ple(c.o_fecha) if modificado else "", c.o_tipo or "", c.o_serie or "",
            str(c.o_numero) if modificado else "", "", "", "", "2" if c.estado_sunat == "ANULADO" else "1"])


# --- 8.1 -------------------------------------------------------------------------------------------------------

_COMPRAS = text("""
    SELECT x.*, a.cuo FROM cuentas_por_pagar x
    JOIN asientos_contables a ON a.referencia_tipo = 'FACTURA_PROVEEDOR' AND a.referencia_id = x.id::text
    WHERE x.cuota = 1 AND x.fecha_emision >= :inicio AND x.fecha_emision < :fin
    ORDER BY x.fecha_emision, x.id
""")


def registro_compras(session: Session, inicio: date, fin: date) -> Iterator[str]:
    for x in session.execute(_COMPRAS, {"inicio": inicio, "fin": fin}):
        factor = Decimal(x.tipo_cambio) if x.moneda != "PEN" else Decimal(1)
        base, igv = (Decimal(x.base_imponible) * factor).quantize(Decimal("0.01")), (
            Decimal(x.igv) * factor).quantize(Decimal("0.01"))
        serie, _, numero = x.documento.partition("-")
        yield linea([
            periodo_ple(f"{inicio:%Y%m}"), x.cuo, "M1", fecha_ple(x.fecha_emision), fecha_ple(x.fecha_vencimiento),
            x.tipo_documento, serie, "", numero, "", "6", x.proveedor_ruc, _texto(x.proveedor_razon_social, 100),
            importe(base), importe(igv), importe(0), importe(0), importe(0), importe(0), importe(0), importe(0),
            importe(0), importe(0), importe(base + igv), x.moneda, tasa(x.tipo_cambio if x.moneda != "PEN" else None),
            "", "", "", "", "", "", "", "", "1", "", "", "", "", "", "", "1"])


# --- the files -------------------------------------------------------------------------------------------------

LIBROS = {DIARIO: diario, PLAN: plan_contable, MAYOR: mayor, COMPRAS: registro_compras, VENTAS: registro_ventas}


def nombre_archivo(ruc: str, periodo: str, libro: str, con_datos: bool) -> str:
    """LE + RUC + AAAAMM00 + libro + 00 (oportunidad) + operaciones 1 (empresa operativa) + contenido 1/0 +
    moneda 1 (soles) + 1 (generado por el PLE)."""
    return f"LE{ruc}{periodo_ple(periodo)}{libro}00{1}{1 if con_datos else 0}11.txt"


def _contenido(lineas: Iterable[str]) -> bytes:
    texto = EOL.join(lineas)
    return (texto + EOL if texto else "").encode("iso-8859-1", errors="replace")


def generar_archivos(session: Session, periodo: str) -> dict[str, bytes]:
    """{file name: content} for the five books of the period."""
    inicio, fin = validar_periodo(periodo)
    ruc = configuracion_srv.obtener(session).ruc
    archivos = {}
    for libro, generar in LIBROS.items():
        contenido = _contenido(generar(session, inicio, fin))
        archivos[nombre_archivo(ruc, periodo, libro, bool(contenido))] = contenido
    return archivos


def huellas(archivos: dict[str, bytes]) -> dict[str, str]:
    return {nombre: hashlib.sha256(datos).hexdigest() for nombre, datos in sorted(archivos.items())}


def huella_total(archivos: dict[str, bytes]) -> str:
    return hashlib.sha256("".join(f"{n}:{h}\n" for n, h in huellas(archivos).items()).encode()).hexdigest()


def comprimir(archivos: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for nombre, datos in sorted(archivos.items()):
            info = zipfile.ZipInfo(nombre, date_time=(1980, 1, 1, 0, 0, 0))  # same data, same bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, datos)
    return buffer.getvalue()
