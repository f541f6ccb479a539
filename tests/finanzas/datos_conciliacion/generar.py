"""Builds the labelled reconciliation data set: three statements as the banks export them (BCP CSV in cp1252
with `;`, newest first; Interbank Excel with cargo/abono columns; BBVA USD CSV in UTF-8 with BOM and `,`), the
system's side (recorded collections/payments and open receivables/payables, with decoys) and the ground truth.

Deterministic (seeded): `python -m tests.finanzas.datos_conciliacion.generar` rewrites the committed files.
The generator knows which line settles what because it creates both sides; the matcher never sees the truth.
The descriptions follow what each bank prints: cut names (the bank's column is ~30 characters), surnames
first, legal forms dropped or abbreviated, comprobante numbers in several shapes, Yape/Plin with the operation
number in its own column, ITF lines after large movements, fees, interest, reversals.
"""

import csv
import io
import json
import random
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

AQUI = Path(__file__).parent
D = Decimal

EMPRESAS = [
    "DISTRIBUIDORA LOS ANDES S.A.C.", "CORPORACION ACEROS DEL SUR S.A.", "INVERSIONES SANTA ROSA E.I.R.L.",
    "COMERCIAL EL MIRADOR S.R.L.", "FERRETERIA INDUSTRIAL CALLAO S.A.C.", "AGROINDUSTRIAS VALLE VERDE S.A.C.",
    "TRANSPORTES RAPIDO NORTE S.A.C.", "CONSTRUCTORA PIEDRA BLANCA S.A.C.", "BOTICAS SALUD TOTAL S.A.C.",
    "TEXTIL ALGODONERA PERUANA S.A.", "GRUPO EDUCATIVO HORIZONTE S.A.C.", "IMPORTACIONES CHEN LIMA S.R.L.",
    "SERVICIOS GENERALES MANTARO E.I.R.L.", "PANIFICADORA LA ESPIGA DORADA S.A.C.", "MINERA CERRO AZUL S.A.A.",
    "CLINICA SAN GABRIEL S.A.C.", "RESTAURANTES EL FOGON CRIOLLO S.A.C.", "LOGISTICA INTEGRAL PACIFICO S.A.C.",
    "MULTISERVICIOS HUANCAYO S.R.L.", "ELECTRO ORIENTE DISTRIBUCIONES S.A.C.", "LIBRERIA CRISOL NORTE E.I.R.L.",
    "AVICOLA SAN FERNANDO DEL SUR S.A.", "QUIMICA INDUSTRIAL AMAZONAS S.A.C.", "FARMACEUTICA ANDINA S.A.C.",
    "MUEBLES Y DISENOS AREQUIPA S.R.L.", "COMERCIALIZADORA SAN MARTIN S.A.C.", "PESQUERA BAHIA CHIMBOTE S.A.",
    "IMPRENTA GRAFICA LOS OLIVOS E.I.R.L.", "TECNOLOGIA Y SISTEMAS PERU S.A.C.", "AUTOPARTES EL TREBOL S.A.C.",
    "INVERSIONES Y NEGOCIOS KALLPA S.A.C.", "DISTRIBUIDORA LOS ANDINOS DEL NORTE S.A.C.", "CORPORACION VEGA S.A.C.",
    "AGRICOLA SANTA ROSA DEL VALLE S.A.C.", "COMERCIAL LIMA CENTRO E.I.R.L.", "NEGOCIACIONES ALFA OMEGA S.R.L.",
]
PROVEEDORES = [
    "ALICORP S.A.A.", "GLORIA S.A.", "SODIMAC PERU S.A.", "TRANSPORTES CRUZ DEL SUR S.A.C.",
    "ENEL DISTRIBUCION PERU S.A.A.",
    "CORPORACION LINDLEY S.A.", "PAPELERA NACIONAL S.A.", "ENVASES PLASTICOS DEL PERU S.A.C.", "PROSEGUR PERU S.A.",
    "DISTRIBUIDORA CUMMINS PERU S.A.C.", "ETIQUETAS Y CODIGOS S.A.C.", "SEDAPAL S.A.", "CARTONES VILLA MARINA S.A.",
    "MAESTRO HOME CENTER S.A.C.", "ACEROS AREQUIPA S.A.", "INDUSTRIAS DEL ENVASE S.A.", "QUIMPAC S.A.",
    "COMERCIAL DEL ACERO S.A.", "TAI LOY S.A.", "SERVICIOS CONTABLES JIMENEZ E.I.R.L.",
]
NOMBRES = ["JUAN", "CARLOS", "MARIA", "ROSA", "LUIS", "ANA", "JOSE", "CARMEN", "JORGE", "LUCIA", "PEDRO", "ELENA",
           "MIGUEL", "SOFIA", "RAUL", "PATRICIA", "VICTOR", "GLADYS", "CESAR", "YOLANDA"]
APELLIDOS = ["QUISPE", "MAMANI", "FLORES", "HUAMAN", "RODRIGUEZ", "SANCHEZ", "GARCIA", "CHAVEZ", "TORRES", "RAMOS",
             "VARGAS", "CASTILLO", "MENDOZA", "ROJAS", "GUTIERREZ", "CONDORI", "ESPINOZA", "PAREDES", "ALVAREZ", "CRUZ"]
ABREVIATURAS = {"DISTRIBUIDORA": "DISTRIB.", "CORPORACION": "CORP.", "INVERSIONES": "INV.", "COMERCIAL": "COMERC.",
                "INDUSTRIAL": "IND.", "TRANSPORTES": "TRANSP.", "SERVICIOS": "SERV.", "CONSTRUCTORA": "CONSTRUCT."}


@dataclass
class Parte:
    doc: str
    nombre: str
    persona: bool = False
    proveedor: bool = False


@dataclass
class Sistema:
    operaciones: list[dict] = field(default_factory=list)
    documentos: list[dict] = field(default_factory=list)
    _pago_id: int = 0
    _op: int = 0
    _doc_id: int = 0
    _num: int = 100

    def documento(self, parte: Parte, saldo: Decimal, moneda: str, emision: date) -> dict:
        self._doc_id += 1
        self._num += random.randint(1, 4)
        serie = "F001" if not parte.proveedor else random.choice(["F001", "F002", "E001", "F010"])
        if parte.persona:
            serie = "B001"
        doc = {"id": self._doc_id, "tipo": "CXP" if parte.proveedor else "CXC", "documento": f"{serie}-{self._num}",
               "parte_doc": parte.doc, "parte_nombre": parte.nombre, "saldo": str(saldo), "moneda": moneda,
               "fecha_emision": emision.isoformat(), "fecha_vencimiento": (emision + timedelta(days=30)).isoformat()}
        return doc

    def operacion(self, parte: Parte, montos: list[Decimal], moneda: str, fecha: date, metodo: str = "TRANSFERENCIA",
                  referencia: str = "") -> dict:
        """A recorded collection/payment settling one document per amount (the documents are then settled)."""
        self._op += 1
        tipo = "PAGO" if parte.proveedor else "COBRO"
        docs = [self.documento(parte, m, moneda, fecha - timedelta(days=random.randint(5, 40)))["documento"]
                for m in montos]
        ids = []
        for _ in montos:
            self._pago_id += 1
            ids.append(self._pago_id)
        op = {"clave": f"{'PAG' if tipo == 'PAGO' else 'COB'}-{self._op}", "ids": ids, "tipo": tipo,
              "monto": str(sum(montos)), "moneda": moneda, "fecha": fecha.isoformat(), "metodo": metodo,
              "referencia": referencia, "parte_doc": parte.doc, "parte_nombre": parte.nombre, "documentos": docs}
        self.operaciones.append(op)
        return op

    def abierto(self, parte: Parte, saldo: Decimal, moneda: str, emision: date) -> dict:
        doc = self.documento(parte, saldo, moneda, emision)
        self.documentos.append(doc)
        return doc


@dataclass
class Linea:
    fecha: date
    descripcion: str
    monto: Decimal
    caso: str
    esperado: dict
    referencia: str = ""
    fecha_valor: date | None = None
    clave: int = 0  # to point a reversal at its pair before rows are numbered


class Generador:
    def __init__(self, semilla: int) -> None:
        random.seed(semilla)
        self.sistema = Sistema()
        self.clientes = [Parte(f"20{random.randint(100000000, 699999999)}", n) for n in EMPRESAS]
        self.personas = []
        for _ in range(30):
            nombre = f"{random.choice(NOMBRES)} {random.choice(NOMBRES)} {random.choice(APELLIDOS)} " \
                     f"{random.choice(APELLIDOS)}"
            self.personas.append(Parte(f"{random.randint(10000000, 79999999)}", nombre, persona=True))
        self.proveedores = [Parte(f"20{random.randint(100000000, 699999999)}", n, proveedor=True) for n in PROVEEDORES]
        self._clave = 0

    # how a bank prints a name in its ~30-character column
    @staticmethod
    def impreso(parte: Parte, ancho: int = 30) -> str:
        nombre = parte.nombre
        if parte.persona:
            n1, n2, a1, a2 = nombre.split()
            nombre = random.choice([f"{a1} {a2} {n1} {n2}", f"{n1} {a1} {a2}", f"{a1} {a2} {n1[0]}",
                                    f"{n1} {n2} {a1}", f"{n1} {a1} {a2[0]}"])
        else:
            for sufijo in (" S.A.C.", " S.A.A.", " S.A.", " E.I.R.L.", " S.R.L."):
                if nombre.endswith(sufijo) and random.random() < 0.6:
                    nombre = nombre[: -len(sufijo)] + random.choice(["", " SAC", " SA", ""]) * (sufijo == " S.A.C.")
            if random.random() < 0.35:
                nombre = " ".join(ABREVIATURAS.get(p, p) for p in nombre.split())
        return nombre[:ancho].strip()

    @staticmethod
    def forma_comprobante(documento: str) -> str:
        serie, numero = documento.split("-")
        n = int(numero)
        return random.choice([f"{serie}-{n:08d}", f"{serie[0]}{int(serie[1:])}-{n}", f"FACT {n}", f"{serie} {n}",
                              f"{serie}-{n}", f"FACTURA {serie}-{n:06d}"]) if serie[0] != "B" else \
            random.choice([f"{serie}-{n:08d}", f"BOL {n}", f"{serie}-{n}"])

    def linea(self, *args, **kw) -> Linea:
        self._clave += 1
        return Linea(*args, clave=self._clave, **kw)


def _m(lo: int, hi: int) -> Decimal:
    return (D(random.randint(lo * 100, hi * 100)) / 100).quantize(D("0.01"))


def _op_esperado(*ops: dict) -> dict:
    return {"clase": "PAGO_COBRO", "operaciones": sorted(o["clave"] for o in ops)}


def generar_extracto(g: Generador, banco: str, moneda: str, inicio: date, dias: int, propias: list[str]) -> list[Linea]:
    lineas: list[Linea] = []
    escala = 1 if moneda == "PEN" else 0.3

    def fecha_banco(f: date) -> date:
        return f + timedelta(days=random.choice([0, 0, 0, 1, 1, 2]))

    def transf(parte: Parte, entrante: bool) -> str:
        nombre = g.impreso(parte, random.choice([22, 26, 30]))
        if banco == "BCP":
            return random.choice([f"TRAN.CTAS.TERC.BM {nombre}", f"DE {nombre}", f"TRANSF.INTERBANC {nombre}"]) \
                if entrante else random.choice([f"PAGO PROVEEDORES {nombre}", f"TRAN.CTAS.TERC.BM {nombre}"])
        if banco == "INTERBANK":
            return random.choice([f"TRANSF. DE {nombre}", f"ABONO INTERBANCARIO CCI {nombre}"]) if entrante else \
                random.choice([f"TRANSF. A {nombre}", f"PAGO A PROVEEDOR {nombre}"])
        return random.choice([f"ABONO TRANSF. {nombre}", f"TRANSF.RECIB. {nombre}"]) if entrante else \
            random.choice([f"CARGO TRANSF. {nombre}", f"PAGO PROV. {nombre}"])

    def deposito() -> str:
        return {"BCP": "DEP.EFECTIVO", "INTERBANK": "DEPOSITO EN EFECTIVO", "BBVA": "DEPOSITO EFECTIVO"}[banco]

    sis = g.sistema
    for dia in range(dias):
        f = inicio + timedelta(days=dia)
        if f.weekday() == 6:
            continue
        # 1. collections recorded in the system, the description names the customer (cut/reordered)
        for _ in range(random.randint(1, 3)):
            parte = random.choice(g.clientes + (g.personas if moneda == "PEN" else []))
            op = sis.operacion(parte, [_m(int(80 * escala) + 1, int(9000 * escala))], moneda, f)
            texto = transf(parte, True)
            if banco == "BCP" and random.random() < 0.25:
                texto = "TRAN.CTAS.TERC.BM"  # BCP often prints no name at all
            elif random.random() < 0.15:  # a typo or a doubled letter in the name the sender typed
                i = random.randint(len(texto) // 2, len(texto) - 2)
                texto = texto[:i] + random.choice("AEIOSZ") + texto[i + 1:]
            caso = "nombre" if texto != "TRAN.CTAS.TERC.BM" else "sin_nombre"
            delta = D(random.choice(["0.00", "0.00", "0.00", "0.05", "-0.03"]))
            lineas.append(g.linea(fecha_banco(f), texto, D(op["monto"]) + delta, caso, _op_esperado(op)))
        # 2. supplier payments recorded in the system
        if random.random() < 0.7:
            parte = random.choice(g.proveedores)
            op = sis.operacion(parte, [_m(int(150 * escala) + 1, int(12000 * escala))], moneda, f)
            lineas.append(g.linea(fecha_banco(f), transf(parte, False), -D(op["monto"]), "pago_proveedor",
                                  _op_esperado(op)))
        # 3. the comprobante printed in the description (in one of its shapes), or the RUC
        if random.random() < 0.45:
            parte = random.choice(g.clientes)
            op = sis.operacion(parte, [_m(100, int(5000 * escala) + 100)], moneda, f)
            if random.random() < 0.6:
                texto = f"PAGO {g.forma_comprobante(op['documentos'][0])}"
                caso = "referencia"
            else:
                texto = f"ABONO {parte.doc}"
                caso = "ruc"
            if random.random() < 0.5:
                texto += f" {g.impreso(parte, 14)}"
            lineas.append(g.linea(fecha_banco(f), texto[:60], D(op["monto"]), caso, _op_esperado(op)))
        # 4. Yape / Plin: small, often round amounts; the operation number in its own column, and in the
        #    user's reference only when the cashier typed it
        if moneda == "PEN" and random.random() < 0.7:
            parte = random.choice(g.personas)
            numero = str(random.randint(10000000, 99999999))
            monto = D(random.choice([20, 30, 50, 100, 150])) if random.random() < 0.5 else _m(10, 300)
            op = sis.operacion(parte, [monto], moneda, f, random.choice(["YAPE", "PLIN"]),
                               numero if random.random() < 0.6 else "")
            app = op["metodo"]
            texto = f"{app} DE {g.impreso(parte, 20)}" if random.random() < 0.6 else f"ABON.{app}"
            lineas.append(g.linea(f, texto, D(op["monto"]), "yape_plin", _op_esperado(op), referencia=numero))
        # 5. a deposit with no name, a unique amount (only amount and date tell)
        if random.random() < 0.3:
            parte = random.choice(g.clientes)
            op = sis.operacion(parte, [_m(300, int(4000 * escala) + 300)], moneda, f, "TRANSFERENCIA")
            lineas.append(g.linea(fecha_banco(f), deposito(), D(op["monto"]), "sin_nombre", _op_esperado(op)))
        # ITF after the day's large movements (0.005 % rounded down to 0.05)
        for linea in [li for li in lineas if li.fecha == f and abs(li.monto) >= 1000 and li.caso != "itf"]:
            if random.random() < 0.5:
                itf = max(D("0.05"), (abs(linea.monto) * D("0.00005") / D("0.05")).quantize(D("1"), "ROUND_DOWN")
                          * D("0.05"))
                lineas.append(g.linea(linea.fecha, random.choice(["ITF", "IMP.TRANS.FIN. ITF", "ITF 0.005%"]), -itf,
                                      "itf", {"clase": "ITF"}))

    semanas = [inicio + timedelta(days=7 * k + 2) for k in range(dias // 7)]
    for f in semanas:
        # same amount, same day, two customers: the name tells which
        a, b = random.sample(g.clientes, 2)
        monto = _m(500, int(3000 * escala) + 500)
        op_a, op_b = (sis.operacion(p, [monto], moneda, f) for p in (a, b))
        lineas.append(g.linea(f, transf(a, True), monto, "mismo_monto_nombre", _op_esperado(op_a)))
        lineas.append(g.linea(f + timedelta(days=1), transf(b, True), monto, "mismo_monto_nombre", _op_esperado(op_b)))
        # one transfer paying several open invoices of one customer (no collection recorded yet)
        parte = random.choice(g.clientes)
        docs = [sis.abierto(parte, _m(200, int(3000 * escala) + 200), moneda,
                            f - timedelta(days=random.randint(20, 40)))
                for _ in range(random.randint(2, 3))]
        total = sum((D(d["saldo"]) for d in docs), D("0"))
        lineas.append(g.linea(f + timedelta(days=1), transf(parte, True), total, "varios_documentos",
                              {"clase": "DOCUMENTOS", "documentos": sorted([d["tipo"], d["id"]] for d in docs)}))
        # one recorded transfer paying two invoices (one operation, two pagos_cobros rows)
        parte = random.choice(g.clientes)
        op = sis.operacion(parte, [_m(200, int(2000 * escala) + 200), _m(200, int(2000 * escala) + 200)], moneda, f)
        lineas.append(g.linea(f, transf(parte, True), D(op["monto"]), "operacion_dos_documentos", _op_esperado(op)))
        # an invoice paid in two transfers, each naming it
        parte = random.choice(g.clientes)
        saldo = _m(1000, int(6000 * escala) + 1000)
        doc = sis.abierto(parte, saldo, moneda, f - timedelta(days=25))
        primera = (saldo * D(random.choice(["0.5", "0.4", "0.3"]))).quantize(D("0.01"))
        for parte_monto, dd in ((primera, 0), (saldo - primera, 4)):
            lineas.append(g.linea(f + timedelta(days=dd), f"PAGO {g.forma_comprobante(doc['documento'])} "
                                  f"{g.impreso(parte, 12)}", parte_monto, "parcial",
                                  {"clase": "PARCIAL", "documentos": [[doc["tipo"], doc["id"]]]}))
        # a transfer from another bank with its fee deducted: the recorded collection is gross
        parte = random.choice(g.clientes)
        op = sis.operacion(parte, [_m(400, int(5000 * escala) + 400)], moneda, f)
        fee = D(random.choice(["3.50", "5.00", "7.50"])) * (1 if moneda == "PEN" else D("0.3"))
        lineas.append(g.linea(f + timedelta(days=1), transf(parte, True), D(op["monto"]) - fee.quantize(D("0.01")),
                              "comision_descontada", _op_esperado(op)))
        # fees and interest
        for texto in random.sample(["COM.MANT.CTA", "PORTES", "COMISION TRANSF.INTERBANC", "ENVIO EST.CTA",
                                    "COMISION POR CHEQUERA"], 2):
            lineas.append(g.linea(f + timedelta(days=3), texto, -_m(2, 25), "comision", {"clase": "COMISION"}))
        # nothing in the system for it (a deposit not recorded yet)
        desconocido = Parte("10999999990", "NN")
        lineas.append(g.linea(f + timedelta(days=2), random.choice([deposito(), transf(desconocido, True)]),
                              _m(50, 900), "sin_contraparte", {"clase": "NINGUNO"}))
        # two identical export lines: two real transfers of one customer, told apart by the operation number
        parte = random.choice(g.clientes)
        monto = _m(100, 800)
        texto = f"TRANSF {parte.doc}" if random.random() < 0.5 else transf(parte, True)
        for _ in range(2):
            numero = str(random.randint(100000, 999999))
            op = sis.operacion(parte, [monto], moneda, f + timedelta(days=3), referencia=f"OP {numero}")
            lineas.append(g.linea(f + timedelta(days=3), texto,
                                  monto, "lineas_identicas", _op_esperado(op), referencia=numero))

        # a monthly fee several customers pay: the same amount in the same week, told apart by the name
        monto = D(random.choice(["350.00", "590.00", "1180.00"])) * (1 if moneda == "PEN" else D("0.3"))
        for k, p in enumerate(random.sample(g.clientes, 3)):
            op = sis.operacion(p, [monto.quantize(D("0.01"))], moneda, f + timedelta(days=k))
            lineas.append(g.linea(f + timedelta(days=k + random.choice([0, 1])), transf(p, True),
                                  monto.quantize(D("0.01")), "cuota_fija", _op_esperado(op)))
        # a cheque deposited on Friday, credited (value date) days later: the user recorded the value date
        parte = random.choice(g.clientes)
        op = sis.operacion(parte, [_m(800, int(6000 * escala) + 800)], moneda, f + timedelta(days=5))
        lineas.append(g.linea(f, f"DEP.CHEQUE {g.impreso(parte, 16)}", D(op["monto"]), "fecha_valor",
                              _op_esperado(op), fecha_valor=f + timedelta(days=5)))
        # an open invoice of another customer for the same amount as a recorded collection (a decoy)
        sis.abierto(random.choice(g.clientes), D(op["monto"]), moneda, f - timedelta(days=20))

    # same amount, same day, nothing else: must not be guessed
    for f in semanas[:2]:
        monto = _m(150, 600)
        for p in random.sample(g.clientes, 2):
            sis.operacion(p, [monto], moneda, f)
            lineas.append(g.linea(f, deposito(), monto, "ambiguo", {"clase": "AMBIGUO"}))
    # reversals: a cheque deposited and returned; a transfer sent and bounced
    for f in semanas[1:3]:
        monto = _m(300, 2500)
        original = g.linea(f, "DEP.CHEQUE OTRO BCO" if banco == "BCP" else "DEPOSITO CHEQUE", monto, "extorno", {})
        extorno = g.linea(f + timedelta(days=2), "CHEQUE DEVUELTO" if f == semanas[1] else "EXTORNO DEPOSITO CHEQUE",
                          -monto, "extorno", {})
        original.esperado = {"clase": "EXTORNO", "par": extorno.clave}
        extorno.esperado = {"clase": "EXTORNO", "par": original.clave}
        lineas += [original, extorno]
    # interest, own-account transfers, card settlements
    lineas.append(g.linea(inicio + timedelta(days=dias - 1),
                          "INTERESES GANADOS" if banco != "BCP" else "ABONO INTERESES",
                          _m(3, 60), "interes", {"clase": "INTERES"}))
    for k in range(2):
        cuenta = propias[k % len(propias)]
        lineas.append(g.linea(inicio + timedelta(days=5 + 9 * k), f"TRASPASO A CTA {cuenta}" if k == 0 else
                              f"TRANSF. CTA PROPIA {cuenta}", -_m(1000, 5000), "traspaso", {"clase": "TRASPASO"}))
    if banco == "BCP":  # the acquirer deposits into one account
        for f in semanas:
            ventas = [sis.operacion(random.choice(g.personas), [_m(20, 450)], moneda, f, "TARJETA")
                      for _ in range(random.randint(3, 9))]
            bruto = sum((D(o["monto"]) for o in ventas), D("0"))
            neto = (bruto * D(random.choice(["0.9594", "0.9656", "0.9610"]))).quantize(D("0.01"))
            lineas.append(g.linea(f + timedelta(days=random.choice([1, 2])),
                                  random.choice(["ABONO NIUBIZ LIQ", "IZIPAY LIQ.VENTAS", "VISANET ABONO POS"]), neto,
                                  "tarjeta", {"clase": "TARJETA", "operaciones": sorted(o["clave"] for o in ventas)}))
    for linea in lineas:  # value date: the next business day for some deposits
        if linea.monto > 0 and linea.fecha_valor is None and random.random() < 0.2:
            linea.fecha_valor = linea.fecha + timedelta(days=1)
    return lineas


def _dinero(valor: Decimal, europeo: bool = False) -> str:
    texto = f"{valor:,.2f}"
    return texto.translate(str.maketrans(",.", ".,")) if europeo else texto


def escribir_bcp(lineas: list[Linea]) -> tuple[bytes, dict[int, int]]:
    """BCP's export: title block, `;`, cp1252, signed amount, newest first, a closing balance row."""
    filas = [["Movimientos de la cuenta"], ["Cuenta:", "193-2456789-0-31", "Moneda:", "Soles"],
             ["Fecha de consulta:", "05/04/2026"], [],
             ["Fecha", "Fecha valuta", "Descripción operación", "Monto", "Saldo", "Sucursal - agencia",
              "Operación - Número", "Operación - Hora", "Usuario"]]
    numeros = {}
    saldo = D("25000.00") + sum((li.monto for li in lineas), D("0"))
    for linea in sorted(lineas, key=lambda li: (li.fecha, li.clave), reverse=True):
        numeros[linea.clave] = len(filas) + 1
        filas.append([f"{linea.fecha:%d/%m/%Y}", f"{(linea.fecha_valor or linea.fecha):%d/%m/%Y}", linea.descripcion,
                      _dinero(linea.monto), _dinero(saldo), "191 - Lima", linea.referencia or
                      str(random.randint(1000000, 9999999)), "10:15:22", "BM"])
        saldo -= linea.monto
    filas += [[], ["", "", "Saldo anterior", "", _dinero(saldo)]]
    salida = io.StringIO()
    csv.writer(salida, delimiter=";", lineterminator="\r\n").writerows(filas)
    return salida.getvalue().encode("cp1252", errors="replace"), numeros


def escribir_interbank(lineas: list[Linea]) -> tuple[bytes, dict[int, int]]:
    """Interbank's Excel: title rows, operation and process dates as real dates, cargo and abono columns."""
    libro = Workbook()
    hoja = libro.active
    hoja.append(["INTERBANK - Estado de cuenta"])
    hoja.append(["Cuenta Corriente Soles", "200-3001234567"])
    hoja.append([])
    hoja.append(["Fecha de operación", "Fecha de proceso", "Nro. de operación", "Movimiento", "Descripción",
                 "Canal", "Cargo", "Abono", "Saldo contable"])
    numeros = {}
    saldo = D("18000.00")
    for linea in sorted(lineas, key=lambda li: (li.fecha, li.clave)):
        saldo += linea.monto
        numeros[linea.clave] = hoja.max_row + 1
        hoja.append([linea.fecha, linea.fecha_valor or linea.fecha,
                     linea.referencia or str(random.randint(10**6, 10**7)),
                     "TRANSFERENCIA" if "TRANSF" in linea.descripcion else "OTROS", linea.descripcion, "BANCA INTERNET",
                     float(-linea.monto) if linea.monto < 0 else None, float(linea.monto) if linea.monto > 0 else None,
                     float(saldo)])
    hoja.append([])
    hoja.append(["Total cargos", None, None, None, None, None,
                 float(sum((-li.monto for li in lineas if li.monto < 0), D("0")))])
    salida = io.BytesIO()
    libro.save(salida)
    return salida.getvalue(), numeros


def escribir_bbva(lineas: list[Linea]) -> tuple[bytes, dict[int, int]]:
    """BBVA's CSV: UTF-8 with BOM, `,`, quoted amounts in 1,234.56, F. Operación and F. Valor."""
    filas = [["BBVA - Consulta de movimientos"], ["Cuenta", "0011-0123-0100045678", "USD"], [],
             ["F. Operación", "F. Valor", "Código", "Nº. Doc.", "Concepto", "Importe", "Oficina"]]
    numeros = {}
    for linea in sorted(lineas, key=lambda li: (li.fecha, li.clave), reverse=True):
        numeros[linea.clave] = len(filas) + 1
        filas.append([f"{linea.fecha:%d-%m-%Y}", f"{(linea.fecha_valor or linea.fecha):%d-%m-%Y}", "421",
                      linea.referencia or f"{random.randint(100000, 999999)}", linea.descripcion,
                      _dinero(linea.monto), "0486"])
    salida = io.StringIO()
    csv.writer(salida, delimiter=",", lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(filas)
    return b"\xef\xbb\xbf" + salida.getvalue().encode("utf-8"), numeros


def main(semilla: int = 20260301, destino: Path = AQUI) -> None:
    """Writes the data set into `destino` (the committed one with the default seed; the bench also builds a
    held-out set with another seed, which the matcher was never tuned on)."""
    g = Generador(semilla)
    propias = ["193-2456789-0-31", "200-3001234567", "0011-0123-0100045678"]
    extractos = {
        "bcp_pen.csv": ("BCP", "PEN", escribir_bcp, date(2026, 3, 2), 28, [propias[1], propias[2]]),
        "interbank_pen.xlsx": ("INTERBANK", "PEN", escribir_interbank, date(2026, 3, 2), 28, [propias[0]]),
        "bbva_usd.csv": ("BBVA", "USD", escribir_bbva, date(2026, 3, 2), 28, [propias[0]]),
    }
    verdad = {}
    for archivo, (banco, moneda, escribir, inicio, dias, otras) in extractos.items():
        lineas = generar_extracto(g, banco, moneda, inicio, dias, otras)
        contenido, numeros = escribir(lineas)
        (destino / archivo).write_bytes(contenido)
        esperadas = []
        for linea in lineas:
            esperado = dict(linea.esperado)
            if "par" in esperado:
                esperado["par_fila"] = numeros[esperado.pop("par")]
            esperadas.append({"fila": numeros[linea.clave], "caso": linea.caso, "esperado": esperado})
        verdad[archivo] = {"banco": banco, "moneda": moneda, "cuentas_propias": otras,
                           "lineas": sorted(esperadas, key=lambda e: e["fila"])}
    # decoys: collections and payments of the period that are not in these statements (cash, other banks)
    for _ in range(160):
        parte = random.choice(g.clientes + g.personas + g.proveedores)
        g.sistema.operacion(parte, [_m(10, 8000)], random.choice(["PEN", "PEN", "USD"]),
                            date(2026, 3, 1) + timedelta(days=random.randint(0, 30)),
                            random.choice(["EFECTIVO", "TRANSFERENCIA", "YAPE"]))
    for _ in range(90):
        parte = random.choice(g.clientes + g.proveedores)
        g.sistema.abierto(parte, _m(100, 9000), random.choice(["PEN", "USD"]), date(2026, 2, random.randint(1, 28)))
    (destino / "sistema.json").write_text(json.dumps({"operaciones": g.sistema.operaciones,
                                                   "documentos": g.sistema.documentos}, indent=0))
    (destino / "verdad.json").write_text(json.dumps(verdad, indent=1, ensure_ascii=False))
    print({k: len(v["lineas"]) for k, v in verdad.items()}, file=sys.stderr)


if __name__ == "__main__":
    main()
