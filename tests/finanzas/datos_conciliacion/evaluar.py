"""Scoring a matcher on the labelled data set (used by the accuracy test and by bench/conciliacion.py).

A line is correct when its top suggestion is exactly the truth: the same operations/documents (or the reversal's
pair, or the bank-side class: ITF, fee, interest, own-account transfer), none when the line has no counterpart,
and "ambiguous" when two candidates are equally good. Link precision: of the lines the matcher links to system
rows (payments, documents, card collections), the share linked to exactly the right rows.
"""

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from services.finanzas import extractos
from services.finanzas.motor import Documento, Linea, Motor, Operacion, Parametros, Resultado

AQUI = Path(__file__).parent
BANCARIAS = {"ITF", "COMISION", "INTERES", "TRASPASO"}
ENLACES = {"PAGO_COBRO", "DOCUMENTOS", "PARCIAL", "TARJETA"}


def sistema(carpeta: Path = AQUI) -> tuple[list[Operacion], list[Documento]]:
    datos = json.loads((carpeta / "sistema.json").read_text())
    ops = [Operacion(o["clave"], tuple(o["ids"]), o["tipo"], Decimal(o["monto"]), o["moneda"],
                     date.fromisoformat(o["fecha"]), o["metodo"], o["referencia"], o["parte_doc"], o["parte_nombre"],
                     tuple(o["documentos"])) for o in datos["operaciones"]]
    docs = [Documento(d["id"], d["tipo"], d["documento"], d["parte_doc"], d["parte_nombre"], Decimal(d["saldo"]),
                      d["moneda"], date.fromisoformat(d["fecha_emision"]), date.fromisoformat(d["fecha_vencimiento"]))
            for d in datos["documentos"]]
    return ops, docs


def verdad(carpeta: Path = AQUI) -> dict:
    return json.loads((carpeta / "verdad.json").read_text())


def lineas_de(archivo: str, banco: str, carpeta: Path = AQUI) -> list[Linea]:
    """The statement read by the real parser; a line's id is its row number in the file."""
    leidas = extractos.leer((carpeta / archivo).read_bytes(), banco).lineas
    return [Linea(li.fila, li.fecha, li.descripcion, li.monto, li.referencia, li.fecha_valor) for li in leidas]


def _como_verdad(r: Resultado) -> dict:
    if r.ambiguo:
        return {"clase": "AMBIGUO"}
    s = r.mejor
    if s is None:
        return {"clase": "NINGUNO"}
    if s.clase in ("PAGO_COBRO", "TARJETA"):
        return {"clase": s.clase, "operaciones": sorted(s.operaciones)}
    if s.clase in ("DOCUMENTOS", "PARCIAL"):
        return {"clase": s.clase, "documentos": sorted([t, i] for t, i, _ in s.documentos)}
    if s.clase == "EXTORNO":
        return {"clase": "EXTORNO", "par_fila": s.par_id}
    return {"clase": s.clase}


@dataclass
class Informe:
    lineas: int = 0
    correctas: int = 0
    sin_bancarias: int = 0
    correctas_sin_bancarias: int = 0
    enlaces: int = 0
    enlaces_correctos: int = 0
    por_caso: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    errores: list[tuple] = field(default_factory=list)

    @property
    def exactitud(self) -> float:
        return self.correctas / self.lineas

    @property
    def exactitud_sin_bancarias(self) -> float:
        return self.correctas_sin_bancarias / self.sin_bancarias

    @property
    def precision(self) -> float:
        return self.enlaces_correctos / self.enlaces if self.enlaces else 1.0

    def anotar(self, archivo: str, fila: int, caso: str, esperado: dict, obtenido: dict, indulgente: bool) -> None:
        correcto = obtenido == esperado or (indulgente and esperado["clase"] in BANCARIAS | {"EXTORNO"}
                                            and obtenido["clase"] == "NINGUNO")
        self.lineas += 1
        self.correctas += correcto
        self.por_caso[caso][0] += correcto
        self.por_caso[caso][1] += 1
        if esperado["clase"] not in BANCARIAS:
            self.sin_bancarias += 1
            self.correctas_sin_bancarias += correcto
        if obtenido["clase"] in ENLACES:
            self.enlaces += 1
            self.enlaces_correctos += obtenido == esperado
        if not correcto:
            self.errores.append((archivo, fila, caso, esperado, obtenido))


def evaluar(conciliar: Callable[[list[Linea], str, tuple[str, ...]], list[Resultado]],
            indulgente: bool = False, carpeta: Path = AQUI) -> Informe:
    """`indulgente`: a bank-side line (ITF, fee, ...) left without a suggestion counts as right — how a matcher
    that knows nothing of bank-side entries is credited (the naive matcher)."""
    informe = Informe()
    for archivo, datos in verdad(carpeta).items():
        lineas = lineas_de(archivo, datos["banco"], carpeta)
        resultados = {r.linea_id: r for r in conciliar(lineas, datos["moneda"], tuple(datos["cuentas_propias"]))}
        for esperada in datos["lineas"]:
            informe.anotar(archivo, esperada["fila"], esperada["caso"], esperada["esperado"],
                           _como_verdad(resultados[esperada["fila"]]), indulgente)
    return informe


def motor(carpeta: Path = AQUI) -> Callable[[list[Linea], str, tuple[str, ...]], list[Resultado]]:
    ops, docs = sistema(carpeta)
    motores: dict[tuple, Motor] = {}

    def conciliar(lineas: list[Linea], moneda: str, propias: tuple[str, ...]) -> list[Resultado]:
        m = motores.get(propias) or motores.setdefault(propias, Motor(ops, docs, Parametros(cuentas_propias=propias)))
        return m.conciliar(lineas, moneda)

    return conciliar


def ingenuo(carpeta: Path = AQUI) -> Callable[[list[Linea], str, tuple[str, ...]], list[Resultado]]:
    """The naive matcher: amount within S/ 0.10, date within ±3 days, the first candidate."""
    from services.finanzas.motor import Sugerencia

    ops, _ = sistema(carpeta)

    def conciliar(lineas: list[Linea], moneda: str, _propias: tuple[str, ...]) -> list[Resultado]:
        usadas: Counter[str] = Counter()
        resultados = []
        for linea in lineas:
            tipo = "COBRO" if linea.monto > 0 else "PAGO"
            primera = next((o for o in ops if o.tipo == tipo and o.moneda == moneda and not usadas[o.clave]
                            and abs(o.monto - abs(linea.monto)) <= Decimal("0.10")
                            and abs((o.fecha - linea.fecha).days) <= 3), None)
            r = Resultado(linea.id)
            if primera:
                usadas[primera.clave] += 1
                r.sugerencias = [Sugerencia("PAGO_COBRO", 1.0, {}, (primera.clave,), primera.ids)]
            resultados.append(r)
        return resultados

    return conciliar
