"""The reconciliation matcher, pure (no database): bank lines in, ranked suggestions with reasons out.

Candidates for a bank line:
- recorded collections/payments (`pagos_cobros`, grouped by their `operacion`: one transfer the user recorded)
  of the line's direction and currency: the amount within the tolerance, the date within the window (operation
  or value date), or several operations of one party summing to the line, or one operation the bank paid net of
  its fee when the description names the party;
- open receivables/payables without a recorded payment: one document's balance, several documents of one
  party summing to the line (one transfer paying two invoices), or part of one named document (an invoice paid
  in two transfers); the party must be identified by the description (document number, RUC/DNI or name);
- card settlements (Niubiz, Izipay, ...): the day's card collections less the acquirer's commission;
- bank-side lines: ITF, fees, interest, own-account transfers, reversals (paired with the line they reverse).

Evidence read from the description: comprobante numbers in every shape banks print them (F001-00000123, F1-123,
FACT 123, F001 123), RUC/DNI, the party's name cut or reordered (rapidfuzz), operation/Yape/Plin/CCI numbers,
the party's registered bank account or CCI (as strong as its RUC).
Score = 0.45·amount + 0.15·date + 0.40·evidence, each in [0, 1]; two candidates within `MARGEN_AMBIGUO` of each
other make the line ambiguous (no top suggestion). One system row serves one line: lines are assigned in order of
their best score, greedily.
"""

import bisect
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import combinations

from rapidfuzz import fuzz

from services.finanzas.extractos import normalizar

CERO = Decimal("0.00")
MARGEN_AMBIGUO = 0.05
UMBRAL_SUGERIR = 0.45
CANDIDATOS_NOMBRE = 12
PALABRA_COMUN = 100  # parties sharing a word's first letters
PESO_MONTO, PESO_FECHA, PESO_EVIDENCIA = 0.45, 0.15, 0.40


@dataclass(frozen=True)
class Parametros:
    tolerancia: Decimal = Decimal("0.10")
    dias: int = 3
    max_documentos: int = 4  # a transfer paying up to this many documents of one party
    comision_maxima: Decimal = Decimal("0.05")  # a fee deducted from a transfer: at most 5 % of it
    cuentas_propias: tuple[str, ...] = ()  # the company's other account numbers (own-account transfers)


@dataclass(frozen=True)
class Linea:
    id: int
    fecha: date
    descripcion: str
    monto: Decimal  # + abono, − cargo
    referencia: str = ""
    fecha_valor: date | None = None


@dataclass(frozen=True)
class Operacion:
    """One recorded collection or payment: the pagos_cobros rows sharing an `operacion`."""

    clave: str
    ids: tuple[int, ...]
    tipo: str  # COBRO | PAGO
    monto: Decimal
    moneda: str
    fecha: date
    metodo: str
    referencia: str
    parte_doc: str
    parte_nombre: str
    documentos: tuple[str, ...] = ()


@dataclass(frozen=True)
class Documento:
    """An open receivable (CXC) or payable (CXP) with no recorded payment for its balance."""

    id: int
    tipo: str  # CXC | CXP
    documento: str  # F001-123
    parte_doc: str
    parte_nombre: str
    saldo: Decimal
    moneda: str
    fecha_emision: date
    fecha_vencimiento: date


@dataclass
class Sugerencia:
    clase: str  # PAGO_COBRO | DOCUMENTOS | PARCIAL | TARJETA | ITF | COMISION | INTERES | TRASPASO | EXTORNO
    score: float
    razones: dict
    operaciones: tuple[str, ...] = ()
    pagos_cobros: tuple[int, ...] = ()
    documentos: tuple[tuple[str, int, Decimal], ...] = ()  # (CXC|CXP, id, amount applied)
    gasto: Decimal = CERO  # the bank fee to post beside the match (deducted fee, card commission)
    par_id: int | None = None  # the line a reversal cancels

    def llaves(self) -> set[str]:
        """The system rows this suggestion takes (one row serves one bank line; a document paid in parts
        serves several)."""
        if self.clase == "PARCIAL":
            return set()
        return ({f"op:{c}" for c in self.operaciones} | {f"{t}:{i}" for t, i, _ in self.documentos}
                | ({f"linea:{self.par_id}"} if self.par_id else set()))


@dataclass
class Resultado:
    linea_id: int
    sugerencias: list[Sugerencia] = field(default_factory=list)
    ambiguo: bool = False

    @property
    def mejor(self) -> Sugerencia | None:
        return None if self.ambiguo or not self.sugerencias else self.sugerencias[0]


# --- reading the description -----------------------------------------------------------------------------------

_COMPROBANTE = re.compile(r"\b([FBE])\s*[-]?\s*(\d{1,3})\s*[-/ ]\s*0*(\d{1,8})\b")
_SOLO_NUMERO = re.compile(r"\b(?:FACT|FACTURA|FAC|FT|FV|BOL|BOLETA|DOC|COMPROBANTE|COMP)\.?\s*N?[°ºO]?\.?\s*"
                          r"0*(\d{1,8})\b")
_RUC_DNI = re.compile(r"(?<!\d)(\d{11}|\d{8})(?!\d)")
_NUMEROS = re.compile(r"(?<!\d)(\d{5,20})(?!\d)")
_CUENTA = re.compile(r"(?<![\d-])(\d[\d-]{8,28}\d)(?![\d-])")  # an account number, dashes allowed

_BANCARIO = {
    "ITF": re.compile(r"\b(ITF|IMP\.? ?TRANS\.? ?FIN|IMPUESTO (A LAS )?TRANSACC)"),
    "INTERES": re.compile(r"\b(INTERES(ES)?|INT\.? ?GANAD|ABONO INT\b|CAPITALIZACION|INT\.? ?(DEUDOR|SOBREG)|"
                          r"SOBREGIRO)"),
    "COMISION": re.compile(r"\b(COMISION|COM\.|COMIS\b|MANTENIMIENTO|MANT\.? ?(DE )?CTA|PORTES|GASTOS? BANC|"
                           r"CARGO POR|COSTO (DE )?(ENVIO|CHEQUERA|EMISION)|MEMBRESIA|ENVIO EST|CHEQUERA)"),
    "TRASPASO": re.compile(r"\b(TRASPASO|ENTRE (CTAS|CUENTAS) PROPIAS|CTA\.? ?PROPIA|CUENTA PROPIA|MISMO TITULAR)"),
}
_EXTORNO = re.compile(r"\b(EXTORNO|EXT\.|REVERSION|REVERSA|ANULACION|ANUL\.|DEVOLUCION|CHEQUE DEVUELTO|RECHAZ)")
_ADQUIRENTE = re.compile(r"\b(NIUBIZ|VISANET|IZIPAY|CULQI|OPENPAY|MC PROCESOS|PROCESOS MC|VENDEMAS|"
                         r"LIQ\.? ?(TARJ|POS|VISA|MC)|ABONO POS|AMERICAN EXPRESS|DINERS)")


def _palabras(texto: str) -> frozenset[str]:
    return frozenset(texto.split())


# words of bank descriptions that are not a name
_RUIDO = _palabras("""
tran trans transf transferencia transferencias ctas cta cuenta cuentas terc terceros bm bxi de del la las los el a en
por pago pagos pag abono abon abonos dep deposito depositos efectivo yape plin interbancaria interbanc cci operacion op
nro numero no ref referencia fact factura fac ft fv bol boleta doc comprobante comp cobro cobranza canc cancelacion
recibido recibida recib enviado enviada ventanilla agente banca movil internet app web celular bco banco bcp bbva
interbank ibk scotiabank scotia bn nacion credito continental prov proveedores proveedor desde hacia inmediata diferida
cargo env rec pen usd soles dolares s sa sac saa srl eirl e i r l s a c""")
_SOCIETARIO = _palabras("s a c sac saa sa srl eirl e i r l ltda cia y sociedad anonima cerrada empresa "
                        "individual de la los las el del responsabilidad limitada")


def _tokens(texto: str, fuera: frozenset[str]) -> list[str]:
    return [t for t in normalizar(texto).split() if t not in fuera and not t.isdigit() and len(t) > 1]


def nombre_clave(nombre: str) -> list[str]:
    return _tokens(nombre, _SOCIETARIO)


def comprobantes(descripcion: str) -> tuple[set[str], set[int]]:
    """Full references ("F001-123") and bare numbers ("FACT 123") the description prints."""
    texto = descripcion.upper()
    completos = {f"{s}{int(n):03d}-{int(num)}" for s, n, num in _COMPROBANTE.findall(texto)}
    solos = {int(n) for n in _SOLO_NUMERO.findall(texto)}
    return completos, solos


def clave_documento(documento: str) -> tuple[str, int] | None:
    m = re.match(r"^([A-Z])(\d{1,3})-0*(\d+)$", documento.upper())
    return (f"{m.group(1)}{int(m.group(2)):03d}-{int(m.group(3))}", int(m.group(3))) if m else None


def similitud_nombre(descripcion_tokens: list[str], nombre: list[str]) -> float:
    """How well the description names the party, in [0, 1]: cut names (DISTRIB LOS AND) and reordered ones
    (QUISPE MAMANI JUAN / JUAN QUISPE) score high; one shared common word does not."""
    if not descripcion_tokens or not nombre:
        return 0.0
    cubiertos = 0
    usados: set[int] = set()
    for n in nombre:
        for i, t in enumerate(descripcion_tokens):
            if i in usados:
                continue
            if (len(t) >= 3 and n.startswith(t)) or (len(n) >= 3 and t.startswith(n)) or (
                    t[0] == n[0] and abs(len(t) - len(n)) <= 2 and fuzz.ratio(t, n) >= 85):  # a typo
                cubiertos += 1
                usados.add(i)
                break
    if cubiertos == 0:
        return 0.0
    largo = sum(len(n) for n in nombre)
    if cubiertos == 1 and (len(nombre) > 1 and len(nombre[0]) < 6 or largo < 5):
        return 0.0  # one short shared word is not a name
    cobertura_nombre = cubiertos / len(nombre)
    cobertura_texto = len(usados) / len(descripcion_tokens)
    conjunto = fuzz.token_set_ratio(" ".join(descripcion_tokens), " ".join(nombre)) / 100
    return round(max(conjunto if cubiertos > 1 else 0.0, 0.5 * cobertura_nombre + 0.5 * min(1.0, cobertura_texto
                                                                                            + 0.3)), 3)


@dataclass
class _Lectura:
    """What one description says, read once per line."""

    texto: str
    tokens: list[str]
    completos: set[str]
    solos: set[int]
    numeros: set[str]
    cuentas: set[str]  # account-like numbers (10+ digits, dashes dropped)

    @classmethod
    def de(cls, linea: Linea) -> "_Lectura":
        texto = f"{linea.descripcion} {linea.referencia}"
        completos, solos = comprobantes(texto)
        cuentas = {c.replace("-", "") for c in _CUENTA.findall(texto)}
        return cls(texto.upper(), _tokens(linea.descripcion, _RUIDO), completos, solos,
                   set(_NUMEROS.findall(texto)), {c for c in cuentas if len(c) >= 10})


# --- the index of what the system holds -------------------------------------------------------------------------


@dataclass
class _Parte:
    doc: str
    nombre: list[str]
    cuentas: set[str] = field(default_factory=set)  # its registered account numbers and CCIs
    operaciones: list[Operacion] = field(default_factory=list)
    documentos: list[Documento] = field(default_factory=list)


class Indice:
    """Operations sorted by (direction, currency, amount) for range look-ups; parties by document number, by
    comprobante, by bank account and by the first letters of their name's words, so no line is compared with
    every row."""

    def __init__(self, operaciones: Iterable[Operacion], documentos: Iterable[Documento],
                 cuentas: dict[str, set[str]] | None = None) -> None:
        self.por_monto: dict[tuple[str, str], tuple[list[Decimal], list[Operacion]]] = {}
        self.partes: dict[str, _Parte] = {}
        self.por_comprobante: dict[str, list[tuple[str, Operacion | Documento]]] = defaultdict(list)
        self.por_numero: dict[int, list[tuple[str, Operacion | Documento]]] = defaultdict(list)
        self.por_prefijo: dict[str, set[str]] = defaultdict(set)
        self.tarjeta: dict[tuple[str, date], list[Operacion]] = defaultdict(list)
        self._nombres: dict[tuple[str, ...], dict[str, float]] = {}
        grupos: dict[tuple[str, str], list[Operacion]] = defaultdict(list)
        for op in operaciones:
            grupos[(op.tipo, op.moneda)].append(op)
            self._parte(op.parte_doc, op.parte_nombre).operaciones.append(op)
            for d in op.documentos:
                self._referenciar(d, ("op", op))
            if op.metodo == "TARJETA" and op.tipo == "COBRO":
                self.tarjeta[(op.moneda, op.fecha)].append(op)
        for clave, ops in grupos.items():
            ops.sort(key=lambda o: o.monto)
            self.por_monto[clave] = ([o.monto for o in ops], ops)
        for doc in documentos:
            self._parte(doc.parte_doc, doc.parte_nombre).documentos.append(doc)
            self._referenciar(doc.documento, ("doc", doc))
        self.por_cuenta: dict[str, set[str]] = defaultdict(set)
        for doc_parte, numeros in (cuentas or {}).items():
            if doc_parte in self.partes:  # a party with nothing open is no candidate
                self.partes[doc_parte].cuentas |= numeros
                for n in numeros:
                    self.por_cuenta[n].add(doc_parte)

    def _parte(self, doc: str, nombre: str) -> _Parte:
        parte = self.partes.get(doc)
        if parte is None:
            parte = self.partes[doc] = _Parte(doc, nombre_clave(nombre))
            for t in parte.nombre:
                if len(t) >= 3:
                    self.por_prefijo[t[:3]].add(doc)
        return parte

    def _referenciar(self, documento: str, fila: tuple[str, Operacion | Documento]) -> None:
        clave = clave_documento(documento)
        if clave:
            self.por_comprobante[clave[0]].append(fila)
            self.por_numero[clave[1]].append(fila)

    def en_rango(self, tipo: str, moneda: str, desde: Decimal, hasta: Decimal) -> list[Operacion]:
        montos, ops = self.por_monto.get((tipo, moneda), ([], []))
        return ops[bisect.bisect_left(montos, desde):bisect.bisect_right(montos, hasta)]

    def partes_nombradas(self, lectura: _Lectura) -> dict[str, float]:
        """Parties the description identifies: by RUC/DNI or bank account (1.0), by a comprobante of theirs, or
        by name."""
        halladas: dict[str, float] = {}
        for n in lectura.numeros:
            if n in self.partes:
                halladas[n] = 1.0
        for n in lectura.cuentas:
            for doc in self.por_cuenta.get(n, ()):
                halladas[doc] = 1.0
        for ref in lectura.completos:
            for _, fila in self.por_comprobante.get(ref, ()):
                halladas[fila.parte_doc] = max(halladas.get(fila.parte_doc, 0), 1.0)
        for numero in lectura.solos:  # "FACT 123": the parties with a document numbered 123
            for _, fila in self.por_numero.get(numero, ()):
                halladas[fila.parte_doc] = max(halladas.get(fila.parte_doc, 0), 0.7)
        for doc, s in self._por_nombre(tuple(lectura.tokens)).items():
            halladas[doc] = max(halladas.get(doc, 0), s)
        return halladas

    def _por_nombre(self, tokens: tuple[str, ...]) -> dict[str, float]:
        """Parties sharing the most word beginnings with the description, compared in full (a common word,
        "distribuidora", alone puts hundreds in the running). Statements repeat their senders: cached."""
        if tokens in self._nombres:
            return self._nombres[tokens]
        golpes: Counter[str] = Counter()
        listas = sorted((self.por_prefijo.get(t, ()) for t in {t[:3] for t in tokens if len(t) >= 3}), key=len)
        for i, lista in enumerate(listas):
            if i and len(lista) > PALABRA_COMUN:
                break  # a word half the parties share adds nothing once a rarer one has spoken
            golpes.update(lista)
        halladas: dict[str, float] = {}
        mejores = golpes.most_common(CANDIDATOS_NOMBRE)
        for doc, n in mejores:
            if n < mejores[0][1] - 1:
                break
            s = similitud_nombre(list(tokens), self.partes[doc].nombre)
            if s >= 0.7:
                halladas[doc] = s
        self._nombres[tokens] = halladas
        return halladas


# --- scoring ----------------------------------------------------------------------------------------------------


def _dias(linea: Linea, fecha: date) -> int:
    return min(abs((f - fecha).days) for f in (linea.fecha, linea.fecha_valor or linea.fecha))


def _evidencia(lectura: _Lectura, parte: _Parte, documentos: Iterable[str], referencia: str,
               partes: dict[str, float]) -> tuple[float, dict]:
    parte_doc, nombre = parte.doc, parte.nombre
    razones: dict = {}
    valor = 0.0
    for d in documentos:
        clave = clave_documento(d)
        if clave and clave[0] in lectura.completos:
            razones["referencia"] = d
            valor = 1.0
        elif clave and clave[1] in lectura.solos and valor < 0.85:
            razones["referencia"] = f"número {clave[1]} ({d})"
            valor = max(valor, 0.85)
    ref_digitos = re.sub(r"\D", "", referencia)
    penalidad = 0.0
    if len(ref_digitos) >= 5 and ref_digitos in lectura.texto:
        razones["operacion"] = ref_digitos
        valor = 1.0
    elif len(ref_digitos) >= 5 and lectura.numeros:
        penalidad = 0.2  # the line prints an operation number and it is not this one's
    if parte_doc in lectura.numeros:
        razones["ruc_dni"] = parte_doc
        valor = 1.0
    if cuenta := min(parte.cuentas & lectura.cuentas, default=None):
        razones["cuenta_bancaria"] = cuenta
        valor = 1.0
    s = similitud_nombre(lectura.tokens, nombre)
    if s:
        razones["nombre"] = s
        valor = max(valor, 0.95 * s)
    otra = max((v for d, v in partes.items() if d != parte_doc), default=0.0)
    if otra >= 0.85 and valor < 0.7:
        razones["nombra_a_otro"] = True
        valor = -0.5  # the description names someone else: this candidate is not the one
    if penalidad:
        razones["otra_operacion"] = True
    return valor - penalidad, razones


def _puntuar(monto: float, fecha: float, evidencia: float) -> float:
    return round(max(0.0, min(1.0, PESO_MONTO * monto + PESO_FECHA * fecha + PESO_EVIDENCIA * evidencia)), 3)


class Motor:
    def __init__(self, operaciones: Iterable[Operacion], documentos: Iterable[Documento],
                 parametros: Parametros | None = None, cuentas: dict[str, set[str]] | None = None) -> None:
        self.p = parametros or Parametros()
        self.indice = Indice(operaciones, documentos, cuentas)

    # one line → its candidates, ranked
    def candidatos(self, linea: Linea, moneda: str, lineas: dict[int, Linea]) -> list[Sugerencia]:
        lectura = _Lectura.de(linea)
        tipo = "COBRO" if linea.monto > 0 else "PAGO"
        monto = abs(linea.monto)
        partes = self.indice.partes_nombradas(lectura)
        sugerencias = self._operaciones(linea, lectura, tipo, moneda, monto, partes)
        sugerencias += self._por_parte(linea, lectura, tipo, moneda, monto, partes)
        sugerencias += self._tarjeta(linea, lectura, moneda, monto)
        if not any(s.score >= 0.7 for s in sugerencias):  # a line matching a document is not a bank fee
            sugerencias += self._bancaria(linea, lectura, lineas)
        mejores: dict[frozenset, Sugerencia] = {}
        for s in sugerencias:
            llave = frozenset(s.llaves()) or frozenset({s.clase})
            if llave not in mejores or mejores[llave].score < s.score:
                mejores[llave] = s
        return sorted((s for s in mejores.values() if s.score >= UMBRAL_SUGERIR), key=lambda s: -s.score)

    def _operaciones(self, linea: Linea, lectura: _Lectura, tipo: str, moneda: str, monto: Decimal,
                     partes: dict[str, float]) -> list[Sugerencia]:
        tol = self.p.tolerancia
        resultado = []
        # the amount as recorded, or (for a party the description names) the recorded amount less a fee the
        # bank deducted
        exactas = self.indice.en_rango(tipo, moneda, monto - tol, monto + tol)
        netas = [o for doc in partes for o in self.indice.partes[doc].operaciones if o.tipo == tipo
                 and o.moneda == moneda and tol < o.monto - monto <= monto * self.p.comision_maxima]
        for op in [*exactas, *netas]:
            dias = _dias(linea, op.fecha)
            if dias > self.p.dias:
                continue
            parte = self.indice.partes[op.parte_doc]
            evidencia, razones = _evidencia(lectura, parte, op.documentos, op.referencia, partes)
            delta = op.monto - monto
            if abs(delta) <= tol:
                valor_monto, gasto = 1.0 - 0.1 * float(abs(delta) / tol if tol else 0), CERO
            elif evidencia >= 0.8:
                valor_monto, gasto = 0.6, delta
                razones["comision_descontada"] = str(delta)
            else:
                continue
            razones.update(monto_delta=str(delta), dias_delta=dias)
            resultado.append(Sugerencia("PAGO_COBRO", _puntuar(valor_monto, 1 - dias / (self.p.dias + 1), evidencia),
                                        razones, (op.clave,), op.ids, gasto=gasto))
        return resultado

    def _por_parte(self, linea: Linea, lectura: _Lectura, tipo: str, moneda: str, monto: Decimal,
                   partes: dict[str, float]) -> list[Sugerencia]:
        """Several operations or documents of a party the description names, or part of one named document."""
        tol = self.p.tolerancia
        resultado = []
        tipo_doc = "CXC" if tipo == "COBRO" else "CXP"
        for doc_parte, identificacion in partes.items():
            parte = self.indice.partes[doc_parte]
            ops = [o for o in parte.operaciones if o.tipo == tipo and o.moneda == moneda
                   and _dias(linea, o.fecha) <= self.p.dias]
            for n in range(2, min(len(ops), 3) + 1):
                for grupo in combinations(ops, n):
                    total = sum((o.monto for o in grupo), CERO)
                    if abs(total - monto) <= tol:
                        docs = [d for o in grupo for d in o.documentos]
                        evidencia, razones = _evidencia(lectura, parte, docs, " ".join(o.referencia for o in grupo),
                                                        partes)
                        razones.update(monto_delta=str(total - monto), operaciones=len(grupo))
                        dias = max(_dias(linea, o.fecha) for o in grupo)
                        resultado.append(Sugerencia(
                            "PAGO_COBRO", _puntuar(0.95, 1 - dias / (self.p.dias + 1), evidencia), razones,
                            tuple(o.clave for o in grupo), tuple(i for o in grupo for i in o.ids)))
            docs = [d for d in parte.documentos if d.tipo == tipo_doc and d.moneda == moneda
                    and d.fecha_emision <= linea.fecha + timedelta(days=self.p.dias)]
            docs.sort(key=lambda d: (d.fecha_vencimiento, d.id))
            resultado += self._documentos(linea, lectura, monto, parte, docs, partes, identificacion)
        return resultado

    def _documentos(self, linea: Linea, lectura: _Lectura, monto: Decimal, parte: _Parte,
                    docs: list[Documento], partes: dict[str, float], identificacion: float) -> list[Sugerencia]:
        tol = self.p.tolerancia
        resultado = []

        def cercania(d: Documento) -> float:  # paid around its due date
            return 1.0 if abs((d.fecha_vencimiento - linea.fecha).days) <= 7 else 0.5

        for n in range(1, min(len(docs), self.p.max_documentos) + 1):
            if n > 2 and len(docs) > 12:
                break  # combinations of many open documents: only pairs (bounded work per line)
            for grupo in combinations(docs, n):
                total = sum((d.saldo for d in grupo), CERO)
                if abs(total - monto) > tol:
                    continue
                evidencia, razones = _evidencia(lectura, parte, [d.documento for d in grupo], "", partes)
                if evidencia < 0.7:
                    continue
                razones.update(monto_delta=str(total - monto), documentos=[d.documento for d in grupo])
                resultado.append(Sugerencia(
                    "DOCUMENTOS", _puntuar(1.0 if n == 1 else 0.95, min(cercania(d) for d in grupo), evidencia),
                    razones, documentos=tuple((d.tipo, d.id, d.saldo) for d in grupo)))
        for d in docs:  # part of one document: the description must name the document itself
            if d.saldo - monto > tol:
                evidencia, razones = _evidencia(lectura, parte, [d.documento], "", partes)
                if "referencia" not in razones:
                    continue
                razones.update(parcial=True, saldo=str(d.saldo), monto_delta=str(d.saldo - monto))
                resultado.append(Sugerencia("PARCIAL", _puntuar(0.5, cercania(d), evidencia), razones,
                                            documentos=((d.tipo, d.id, monto),)))
        return resultado

    def _tarjeta(self, linea: Linea, lectura: _Lectura, moneda: str, monto: Decimal) -> list[Sugerencia]:
        """An acquirer's deposit: one day's card collections (up to 4 days before) less its commission."""
        if linea.monto <= 0 or not _ADQUIRENTE.search(lectura.texto):
            return []
        resultado = []
        for atras in range(0, 5):
            dia = linea.fecha - timedelta(days=atras)
            ops = self.indice.tarjeta.get((moneda, dia), [])
            bruto = sum((o.monto for o in ops), CERO)
            if ops and bruto * Decimal("0.93") <= monto <= bruto + self.p.tolerancia:
                comision = max(CERO, bruto - monto)
                razones = {"liquidacion_tarjeta": str(dia), "bruto": str(bruto), "comision": str(comision),
                           "dias_delta": atras}
                resultado.append(Sugerencia("TARJETA", _puntuar(0.9, 1 - atras / 6, 0.8), razones,
                                            tuple(o.clave for o in ops), tuple(i for o in ops for i in o.ids),
                                            gasto=comision))
        return resultado

    def _bancaria(self, linea: Linea, lectura: _Lectura, lineas: dict[int, Linea]) -> list[Sugerencia]:
        """Lines with no system counterpart: proposed as the entry to post (or as a pair that cancels)."""
        if _EXTORNO.search(lectura.texto):
            par = self._par_extorno(linea, lineas)
            if par is not None:
                return [Sugerencia("EXTORNO", 0.9, {"extorno_de": par.id, "monto_delta": "0.00"}, par_id=par.id)]
        numeros = {re.sub(r"\D", "", c) for c in self.p.cuentas_propias}
        if any(n and n in re.sub(r"\D", "", lectura.texto) for n in numeros) or \
                _BANCARIO["TRASPASO"].search(lectura.texto):
            return [Sugerencia("TRASPASO", 0.85, {"cuenta_propia": True})]
        for clase in ("ITF", "INTERES", "COMISION"):
            if _BANCARIO[clase].search(lectura.texto):
                if clase in ("ITF", "COMISION") and linea.monto > 0:
                    continue
                concepto = "interes_cobrado" if clase == "INTERES" and linea.monto < 0 else clase.lower()
                return [Sugerencia(clase, 0.9, {"concepto": concepto})]
        return []

    def _par_extorno(self, linea: Linea, lineas: dict[int, Linea]) -> Linea | None:
        opuestas = [o for o in lineas.values() if o.id != linea.id and o.monto == -linea.monto
                    and 0 <= (linea.fecha - o.fecha).days <= 10 and not _EXTORNO.search(o.descripcion.upper())]
        return min(opuestas, key=lambda o: ((linea.fecha - o.fecha).days, -o.id), default=None)

    # every line → its result, rows assigned once
    def conciliar(self, lineas: list[Linea], moneda: str = "PEN") -> list[Resultado]:
        por_id = {linea.id: linea for linea in lineas}
        candidatos = {linea.id: self.candidatos(linea, moneda, por_id) for linea in lineas}
        for linea in lineas:  # a reversal's pair is the other side of one suggestion
            for s in candidatos[linea.id]:
                if s.clase == "EXTORNO" and s.par_id is not None:
                    candidatos[s.par_id] = [Sugerencia("EXTORNO", s.score, {"extornado_por": linea.id},
                                                       par_id=linea.id)]
        orden = sorted(lineas, key=lambda li: -(candidatos[li.id][0].score if candidatos[li.id] else 0))
        tomadas: set[str] = set()
        resultados: dict[int, Resultado] = {}
        for linea in orden:
            libres = [s for s in candidatos[linea.id] if not (s.llaves() - {f"linea:{s.par_id}"}) & tomadas]
            r = Resultado(linea.id, libres)
            if len(libres) > 1 and libres[0].score - libres[1].score < MARGEN_AMBIGUO \
                    and not (libres[0].llaves() & libres[1].llaves()):
                r.ambiguo = True
            elif libres:
                tomadas |= libres[0].llaves()
            resultados[linea.id] = r
        return [resultados[linea.id] for linea in lineas]
