"""SIRE (Sistema Integrado de Registros Electrónicos): since 2025 most taxpayers keep the Registro de Ventas
(RVIE) and Compras (RCE) in SUNAT's SIRE, which proposes the register from the comprobantes SUNAT received.
The contador downloads the RVIE or RCE proposal (pipe-separated text with a header row) and this compares it with
our comprobantes (RVIE) or our registered supplier invoices (RCE) of the period: what SUNAT has that we do not,
what we have that SUNAT does not, and what differs.

Columns are found by their header (SUNAT's names: "Tipo CP/Doc.", "Serie del CDP", "Nro CP o Doc. Nro Inicial
(Rango)", "BI Gravada" / RCE "BI Gravado DG", "IGV / IPM" / RCE "IGV / IPM DG", "Total CP", "Moneda", and in the
RCE "Nro Doc Identidad", the supplier), so column order changes between SIRE versions do not break the comparison.
A purchase is identified by its supplier too: two suppliers may both issue F001-123."""

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import text
from sqlmodel import Session

from core.errors import ValidationError
from services.finanzas.ple import validar_periodo

COLUMNAS = {"tipo": ("tipo cp/doc", "tipo cp"), "serie": ("serie del cdp", "serie"),
            "numero": ("nro cp o doc. nro inicial", "nro cp"), "base": ("bi gravada", "bi gravado dg"),
            "igv": ("igv / ipm", "igv"), "total": ("total cp",), "moneda": ("moneda",), "parte": ("nro doc identidad",)}
MONTOS = ("base", "igv", "total")


def _normal(texto: str) -> str:
    sin_tildes = unicodedata.normalize("NFKD", texto).encode("ascii", "ignore").decode()
    return " ".join(sin_tildes.lower().split())


def _indices(cabecera: list[str], claves: list[str]) -> dict[str, int]:
    nombres = [_normal(c) for c in cabecera]
    indices = {}
    for clave in claves:
        candidatos = COLUMNAS[clave]
        for candidato in candidatos:
            encontrado = next((i for i, n in enumerate(nombres) if n.startswith(candidato)), None)
            if encontrado is not None:
                indices[clave] = encontrado
                break
        else:
            raise ValidationError(f"La propuesta no tiene la columna «{candidatos[0]}»", field="contenido")
    return indices


def _decimal(valor: str, fila: int) -> Decimal:
    try:
        return Decimal(valor.strip() or "0").quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise ValidationError(f"Importe no numérico en la fila {fila}: {valor!r}", field="contenido") from exc


Clave = tuple[str | int, ...]  # (tipo, serie, numero), preceded by the supplier's RUC in the RCE
Importes = dict[str, Decimal | str]


def leer_propuesta(contenido: str, por_proveedor: bool = False) -> dict[Clave, Importes]:
    filas = [f for f in contenido.splitlines() if f.strip()]
    if len(filas) < 1:
        raise ValidationError("La propuesta está vacía", field="contenido")
    claves = [c for c in COLUMNAS if por_proveedor or c != "parte"]
    indices = _indices(filas[0].split("|"), claves)
    propuesta: dict[Clave, Importes] = {}
    for n, fila in enumerate(filas[1:], start=2):
        campos = fila.split("|")
        try:
            proveedor = (campos[indices["parte"]].strip(),) if por_proveedor else ()
            clave = (*proveedor, campos[indices["tipo"]].strip().zfill(2), campos[indices["serie"]].strip(),
                     int(campos[indices["numero"]]))
        except (IndexError, ValueError) as exc:
            raise ValidationError(f"Fila {n} de la propuesta ilegible", field="contenido") from exc
        propuesta[clave] = {m: _decimal(campos[indices[m]], n) for m in MONTOS} | {
            "moneda": campos[indices["moneda"]].strip()}
    return propuesta


@dataclass
class Comparacion:
    periodo: str
    coinciden: int = 0
    faltan_en_sunat: list[str] = field(default_factory=list)  # ours, not in SUNAT's proposal
    faltan_en_erp: list[str] = field(default_factory=list)  # in SUNAT's proposal, not ours
    diferencias: list[dict] = field(default_factory=list)


def comparar_rvie(session: Session, periodo: str, contenido: str) -> Comparacion:
    """Our comprobantes of the period (not rejected or voided) against SUNAT's RVIE proposal."""
    inicio, fin = validar_periodo(periodo)
    filas = session.execute(text(
        "SELECT tipo, serie, numero, total_gravada AS base, total_igv AS igv, total_venta AS total, moneda "
        "FROM comprobantes WHERE fecha_emision >= :i AND fecha_emision < :f "
        "AND estado_sunat NOT IN ('RECHAZADO', 'ANULADO')"), {"i": inicio, "f": fin})
    nuestros = {(f.tipo, f.serie, f.numero): f._asdict() for f in filas}
    return _comparar(periodo, nuestros, leer_propuesta(contenido))


def comparar_rce(session: Session, periodo: str, contenido: str) -> Comparacion:
    """The supplier invoices registered for the period (module 5) against SUNAT's RCE proposal."""
    inicio, fin = validar_periodo(periodo)
    filas = session.execute(text(
        "SELECT ruc_proveedor, tipo, serie, numero, monto_base AS base, igv, total, moneda FROM facturas_proveedor "
        "WHERE fecha_emision >= :i AND fecha_emision < :f"), {"i": inicio, "f": fin})
    nuestros = {(f.ruc_proveedor, f.tipo, f.serie, f.numero): f._asdict() for f in filas}
    return _comparar(periodo, nuestros, leer_propuesta(contenido, por_proveedor=True))


def _comparar(periodo: str, nuestros: dict[Clave, dict], propuesta: dict[Clave, Importes]) -> Comparacion:
    resultado = Comparacion(periodo)
    for clave in sorted(set(nuestros) | set(propuesta)):
        *proveedor, tipo, serie, numero = clave
        documento = " ".join([*map(str, proveedor), f"{tipo} {serie}-{numero}"])
        if clave not in propuesta:
            resultado.faltan_en_sunat.append(documento)
        elif clave not in nuestros:
            resultado.faltan_en_erp.append(documento)
        else:
            ours, p = nuestros[clave], propuesta[clave]
            # SIRE shows credit notes negative; we store them positive with tipo 07.
            distintos = {m: {"erp": str(ours[m]), "sunat": str(p[m])} for m in MONTOS if abs(p[m]) != ours[m]}
            if p["moneda"] and p["moneda"] != ours["moneda"]:
                distintos["moneda"] = {"erp": ours["moneda"], "sunat": p["moneda"]}
            if distintos:
                resultado.diferencias.append({"documento": documento, "campos": distintos})
            else:
                resultado.coinciden += 1
    return resultado
