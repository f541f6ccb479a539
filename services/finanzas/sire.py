"""SIRE (Sistema Integrado de Registros Electrónicos): since 2025 most taxpayers keep the Registro de Ventas
(RVIE) and Compras (RCE) in SUNAT's SIRE, which proposes the register from the comprobantes SUNAT received.
The contador downloads the RVIE proposal (pipe-separated text with a header row) and this compares it with our
comprobantes of the period: what SUNAT has that we do not, what we have that SUNAT does not, and what differs.

Columns are found by their header (SUNAT's names: "Tipo CP/Doc.", "Serie del CDP", "Nro CP o Doc. Nro Inicial
(Rango)", "BI Gravada", "IGV / IPM", "Total CP", "Moneda"), so column order changes between SIRE versions do not
break the comparison."""

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import text
from sqlmodel import Session

from core.errors import ValidationError
from services.finanzas.ple import validar_periodo

COLUMNAS = {"tipo": ("tipo cp/doc", "tipo cp"), "serie": ("serie del cdp", "serie"),
            "numero": ("nro cp o doc. nro inicial", "nro cp"), "base": ("bi gravada",), "igv": ("igv / ipm", "igv"),
            "total": ("total cp",), "moneda": ("moneda",)}
MONTOS = ("base", "igv", "total")


def _normal(texto: str) -> str:
    sin_tildes = unicodedata.normalize("NFKD", texto).encode("ascii", "ignore").decode()
    return " ".join(sin_tildes.lower().split())


def _indices(cabecera: list[str]) -> dict[str, int]:
    nombres = [_normal(c) for c in cabecera]
    indices = {}
    for clave, candidatos in COLUMNAS.items():
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


Clave = tuple[str, str, int]


def leer_propuesta(contenido: str) -> dict[Clave, dict[str, Decimal | str]]:
    filas = [f for f in contenido.splitlines() if f.strip()]
    if len(filas) < 1:
        raise ValidationError("La propuesta está vacía", field="contenido")
    indices = _indices(filas[0].split("|"))
    propuesta: dict[Clave, dict[str, Decimal | str]] = {}
    for n, fila in enumerate(filas[1:], start=2):
        campos = fila.split("|")
        try:
            clave = (campos[indices["tipo"]].strip().zfill(2), campos[indices["serie"]].strip(),
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
    inicio, fin = validar_periodo(periodo)
    propuesta = leer_propuesta(contenido)
    nuestros = {(c.tipo, c.serie, c.numero): c for c in session.execute(text(
        "SELECT tipo, serie, numero, total_gravada, total_igv, total_venta, moneda FROM comprobantes "
        "WHERE fecha_emision >= :i AND fecha_emision < :f AND estado_sunat NOT IN ('RECHAZADO', 'ANULADO')"),
        {"i": inicio, "f": fin})}
    resultado = Comparacion(periodo)
    for clave in sorted(set(nuestros) | set(propuesta)):
        documento = f"{clave[0]} {clave[1]}-{clave[2]}"
        if clave not in propuesta:
            resultado.faltan_en_sunat.append(documento)
        elif clave not in nuestros:
            resultado.faltan_en_erp.append(documento)
        else:
            c, p = nuestros[clave], propuesta[clave]
            ours = {"base": c.total_gravada, "igv": c.total_igv, "total": c.total_venta}
            # SIRE shows credit notes negative; we store them positive with tipo 07.
            distintos = {m: {"erp": str(ours[m]), "sunat": str(p[m])} for m in MONTOS if abs(p[m]) != ours[m]}
            if p["moneda"] and p["moneda"] != c.moneda:
                distintos["moneda"] = {"erp": c.moneda, "sunat": p["moneda"]}
            if distintos:
                resultado.diferencias.append({"documento": documento, "campos": distintos})
            else:
                resultado.coinciden += 1
    return resultado
