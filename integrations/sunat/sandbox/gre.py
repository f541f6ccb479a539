"""The GRE REST API of SUNAT, as the sandbox serves it (same port as the SOAP services).

* ``POST /v1/clientessol/{client_id}/oauth2/token/`` — password grant: client_id/client_secret of the API
  client registered in SOL, username = RUC + SOL user, password = SOL key (MODDATOS/moddatos on any RUC, like
  beta), scope https://api-cpe.sunat.gob.pe. Wrong client or user → 401 ``{"error", "error_description"}``.
* ``POST /v1/contribuyente/gem/comprobantes/{RUC}-09-{serie}-{numero}`` — Bearer token, body
  ``{"archivo": {"nomArchivo", "arcGreZip", "hashZip"}}`` → ``{"numTicket", "fecRecepcion"}``. A file that
  cannot be taken (name, hash, zip, another RUC) → 422 ``{"cod", "msg", "errors": [{"cod", "msg"}]}``.
* ``GET /v1/contribuyente/gem/comprobantes/envios/{numTicket}`` → ``codRespuesta`` "98" (in process) the
  first ``consultas_en_proceso`` times, then "0" with ``arcCdr`` (signed CDR zip, like the SEE one) and
  ``indCdrGenerado`` "1", or "99" with ``error: {numError, desError}`` (and the CDR for a rejection).

An accepted GRE's CDR carries, as SUNAT's does, the link its printed QR encodes in
``cac:DocumentResponse/cac:DocumentReference/cbc:DocumentDescription``: ``{base}/v1/contribuyente/gre/
comprobantes/descargaqr?hashqr=<opaque base64>`` (SUNAT's host is e-factura.sunat.gob.pe); the sandbox serves
that page too. ``perder_respuesta`` registers the next send and answers 504 instead of its ticket (a lost
answer); the retry then meets 1033.

The document goes through SUNAT's order: number already registered (1033) → XSD (0306) → signature (1059/2335)
→ the GRE rules below. Rejections (2000-3999) burn the number, like in SUNAT. The sandbox's fault modes apply
(``error_5xx`` answers 503 to the token too; ``rechazar`` forces the next GRE's code). The rule codes are the
sandbox's, modelled on SUNAT's GRE validations; SUNAT's published list is the reference for the wording.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from lxml import etree
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from integrations.sunat import catalogos as cat
from integrations.sunat.cdr import ClaseCodigo, DatosCdr, clasificar_codigo, construir_cdr, leer_cdr
from integrations.sunat.guia import INDICADOR_M1L
from integrations.sunat.sandbox import verificacion
from integrations.sunat.sandbox.config import EstadoFallas, SandboxConfig
from integrations.sunat.sandbox.recepcion import extraer_xml, parsear
from integrations.sunat.sandbox.soap import FaultSunat, mensaje_de
from integrations.sunat.sandbox.store import Almacen, Registrado, Ticket

SCOPE = "https://api-cpe.sunat.gob.pe"
NOMBRE_GRE = re.compile(r"(\d{11})-(09)-([A-Z0-9]{4})-(\d{1,8})")
UBIGEO = re.compile(r"(0[1-9]|1\d|2[0-5])(\d\d)(\d\d)")  # INEI: department 01-25, province and district 01+
DURACION_TOKEN_S = 3600
RUTA_QR = "/v1/contribuyente/gre/comprobantes/descargaqr"
# The GRE rules the sandbox checks, with SUNAT's code and wording where its published answers are on record
# (SUNAT's "Reglas de validación" workbook for the GRE remitente, as integrators quote it):
# 2523 GrossWeightMeasure of 0.00 (odoo/documentation, l10n_pe "Common errors": "2523 - GrossWeightMeasure - El
# dato no cumple con el formato establecido"; the sandbox had 2881); 2566 and 3357 vehicle plate and main
# driver (thegreenter/greenter#236, SUNAT's messages; the sandbox had 2567 for the driver); 2112 the
# CustomizationID version, 2.0 since the 2022 GRE (thegreenter/greenter#205, ValidaExprRegGreRemitente-2.0.1).
# The others are the sandbox's own numbering, not confirmed against SUNAT's list: read them as "a rule of that
# kind", not SUNAT's code.
REGLAS_GRE = {
    "2112": "CustomizationID - La version del documento no es correcta",
    "2880": "El XML no contiene el peso bruto total de los bienes (GrossWeightMeasure)",
    "2523": "GrossWeightMeasure - El dato no cumple con el formato establecido",
    "2773": "El motivo de traslado no existe en el catálogo 20",
    "2774": "La modalidad de traslado no existe en el catálogo 18",
    "2776": "El ubigeo del punto de llegada no existe",
    "2777": "El ubigeo del punto de partida no existe",
    "2566": "El XML no contiene el tag o no existe informacion del Numero de placa del vehículo",
    "3357": "Debe consignar informacion del conductor principal",
    "2568": "Para la modalidad de transporte público debe consignar el RUC del transportista",
    "2570": "Debe consignar el documento de identidad del destinatario",
}
NS = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
      "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}


def _txt(raiz: etree._Element, xpath: str) -> str:
    nodos = raiz.xpath(xpath, namespaces=NS)
    return (nodos[0].text or "").strip() if nodos else ""


def validar_reglas_gre(raiz: etree._Element) -> tuple[str, str] | None:
    """The first GRE rule the DespatchAdvice breaks, as (code, message), or None."""
    envio = "cac:Shipment"
    peso = _txt(raiz, f"{envio}/cbc:GrossWeightMeasure")
    m1l = _txt(raiz, f"{envio}/cbc:SpecialInstructions") == INDICADOR_M1L
    modalidad = _txt(raiz, f"{envio}/cac:ShipmentStage/cbc:TransportModeCode")
    chequeos: list[tuple[str, Callable[[], bool]]] = [
        ("2112", lambda: _version(_txt(raiz, "cbc:CustomizationID")) >= 2),
        ("2880", lambda: bool(peso)),
        ("2523", lambda: _positivo(peso)),
        ("2773", lambda: _txt(raiz, f"{envio}/cbc:HandlingCode") in cat.CAT_20_MOTIVO_TRASLADO),
        ("2774", lambda: modalidad in cat.CAT_18_MODALIDAD_TRASLADO),
        ("2776", lambda: bool(UBIGEO.fullmatch(_txt(raiz, f"{envio}/cac:Delivery/cac:DeliveryAddress/cbc:ID")))),
        ("2777", lambda: bool(UBIGEO.fullmatch(
            _txt(raiz, f"{envio}/cac:Delivery/cac:Despatch/cac:DespatchAddress/cbc:ID")))),
        ("2566", lambda: modalidad != cat.TRANSPORTE_PRIVADO or m1l or bool(
            _txt(raiz, f"{envio}/cac:TransportHandlingUnit/cac:TransportEquipment/cbc:ID"))),
        ("3357", lambda: modalidad != cat.TRANSPORTE_PRIVADO or m1l or bool(
            _txt(raiz, f"{envio}/cac:ShipmentStage/cac:DriverPerson/cbc:ID") and
            _txt(raiz, f"{envio}/cac:ShipmentStage/cac:DriverPerson/cac:IdentityDocumentReference/cbc:ID"))),
        ("2568", lambda: modalidad != cat.TRANSPORTE_PUBLICO or bool(
            _txt(raiz, f"{envio}/cac:ShipmentStage/cac:CarrierParty/cac:PartyIdentification/cbc:ID"))),
        ("2570", lambda: _txt(raiz, "cac:DeliveryCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID")
         not in ("", "-")),
    ]
    for codigo, cumple in chequeos:
        if not cumple():
            return codigo, REGLAS_GRE[codigo]
    return None


def _version(texto: str) -> float:
    try:
        return float(texto)
    except ValueError:
        return 0.0


def _positivo(texto: str) -> bool:
    try:
        return float(texto) > 0
    except ValueError:
        return False


def _error(status: int, codigo: str, mensaje: str) -> JSONResponse:
    return JSONResponse({"cod": codigo, "msg": mensaje, "errors": [{"cod": codigo, "msg": mensaje}]},
                        status_code=status)


class ApiGre:
    def __init__(self, config: SandboxConfig, almacen: Almacen, fallas: EstadoFallas,
                 clave_pem: bytes, certificado_pem: bytes):
        self.config, self.almacen, self.fallas = config, almacen, fallas
        self._clave, self._certificado = clave_pem, certificado_pem
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (RUC, expiry)
        self._qr: dict[str, str] = {}  # hashqr -> RUC-09-SERIE-NUMERO
        self._lock = threading.Lock()
        self.contadores = {"token": 0, "token_rechazado": 0, "envios": 0, "consultas": 0}

    def _contar(self, clave: str) -> None:
        with self._lock:
            self.contadores[clave] += 1

    # ------------------------------------------------------------------ token

    def token(self, client_id: str, form: dict[str, str]) -> JSONResponse:
        if form.get("grant_type") != "password" or form.get("scope") != SCOPE:
            return JSONResponse({"error": "invalid_request", "error_description": "grant_type o scope inválidos"},
                                status_code=400)
        secreto = self.config.gre_clientes.get(client_id)
        if secreto is None or form.get("client_id") != client_id or form.get("client_secret") != secreto:
            self._contar("token_rechazado")
            return JSONResponse({"error": "invalid_client", "error_description": "cliente no autorizado"},
                                status_code=401)
        usuario = form.get("username", "")
        clave = self.config.clave_de(usuario)
        if clave is None or clave != form.get("password"):
            self._contar("token_rechazado")
            return JSONResponse({"error": "access_denied", "error_description": "Usuario o contraseña incorrectos"},
                                status_code=401)
        valor = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[valor] = (usuario[:11], time.monotonic() + DURACION_TOKEN_S)
        return JSONResponse({"access_token": valor, "token_type": "JWT", "expires_in": DURACION_TOKEN_S})

    def ruc_del_token(self, request: Request) -> str | None:
        cabecera = request.headers.get("authorization", "")
        if not cabecera.lower().startswith("bearer "):
            return None
        with self._lock:
            guardado = self._tokens.get(cabecera[7:].strip())
        return guardado[0] if guardado and guardado[1] > time.monotonic() else None

    def guia_del_qr(self, hashqr: str) -> str | None:
        with self._lock:
            return self._qr.get(hashqr)

    def olvidar_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._qr.clear()
            self.contadores = dict.fromkeys(self.contadores, 0)

    # ------------------------------------------------------------------ send

    def recibir(self, ruc_usuario: str, nombre: str, cuerpo: object, base_url: str = "") -> JSONResponse:
        self._contar("envios")
        archivo = cuerpo.get("archivo") if isinstance(cuerpo, dict) else None
        if not isinstance(archivo, dict):
            return _error(422, "0151", "Debe enviar el archivo (archivo.nomArchivo, arcGreZip, hashZip)")
        coincide = NOMBRE_GRE.fullmatch(nombre)
        if not coincide or archivo.get("nomArchivo") != f"{nombre}.zip":
            return _error(422, "0151", mensaje_de("0151"))
        ruc, _, serie, numero = coincide.groups()
        if ruc != ruc_usuario:
            return _error(422, "0154", mensaje_de("0154"))
        try:
            contenido = base64.b64decode(str(archivo.get("arcGreZip", "")), validate=True)
        except (binascii.Error, ValueError):
            return _error(422, "0156", mensaje_de("0156"))
        if hashlib.sha256(contenido).hexdigest() != str(archivo.get("hashZip", "")).lower():
            return _error(422, "0160", "El hash del archivo no coincide con el enviado (hashZip)")
        try:
            xml = extraer_xml(contenido, nombre)
        except FaultSunat as falla:
            return _error(422, falla.codigo, falla.mensaje)
        ticket = str(self.almacen.siguiente_id() + 1_800_000_000_000)
        codigo, mensaje = self._validar(xml, ruc, serie, int(numero))
        enlace = ""
        if clasificar_codigo(codigo) is ClaseCodigo.ACEPTADO:
            hashqr = base64.b64encode(secrets.token_bytes(60)).decode()  # 80 characters, opaque like SUNAT's
            with self._lock:
                self._qr[hashqr] = nombre
            enlace = f"{base_url.rstrip('/')}{RUTA_QR}?{urlencode({'hashqr': hashqr})}"
        datos = DatosCdr(nombre=nombre, ruc_emisor=ruc, documento_id=f"{serie}-{int(numero)}", codigo=codigo,
                         descripcion=mensaje, id_respuesta=ticket, enlace=enlace)
        cdr = construir_cdr(datos, self._clave, self._certificado)
        clase = clasificar_codigo(codigo)
        if clase is not ClaseCodigo.EXCEPCION:  # accepted or rejected: the number is taken
            estado = "RECHAZADO" if clase is ClaseCodigo.RECHAZADO else "ACEPTADO"
            self.almacen.registrar(Registrado(ruc, "09", serie, int(numero), hashlib.sha256(xml).hexdigest(),
                                              estado, codigo, cdr))
        self.almacen.crear_ticket(Ticket(ticket, ruc_usuario, nombre, codigo, cdr, 0))
        return JSONResponse({"numTicket": ticket, "fecRecepcion": datetime.now(UTC).isoformat(timespec="seconds")})

    def _validar(self, xml: bytes, ruc: str, serie: str, numero: int) -> tuple[str, str]:
        if self.almacen.buscar(ruc, "09", serie, numero) is not None:
            return "1033", mensaje_de("1033")
        forzado = self.fallas.tomar_rechazo()
        if forzado is not None:
            return forzado[0], forzado[1] or REGLAS_GRE.get(forzado[0], mensaje_de(forzado[0]))
        try:
            raiz = parsear(xml)
        except FaultSunat as falla:
            return falla.codigo, falla.mensaje
        if etree.QName(raiz).localname != "DespatchAdvice" or _txt(raiz, "cbc:DespatchAdviceTypeCode") != "09":
            return "1003", mensaje_de("1003")
        if _txt(raiz, "cac:DespatchSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID") != ruc:
            return "1034", mensaje_de("1034")
        if _txt(raiz, "cbc:ID") != f"{serie}-{numero}":
            return "1036", mensaje_de("1036")
        if self.config.validar_xsd and (errores := verificacion.validar_xsd(xml)):
            return "0306", "; ".join(errores[:3])
        if self.config.verificar_firma and (rechazo := verificacion.verificar_firma(xml)) is not None:
            return rechazo[0], mensaje_de(rechazo[0])
        if self.config.validar_reglas and (regla := validar_reglas_gre(raiz)) is not None:
            return regla
        return "0", f"La Guia numero {serie}-{numero}, ha sido aceptada"

    # ------------------------------------------------------------------ poll

    def estado(self, ruc_usuario: str, numero_ticket: str) -> JSONResponse:
        self._contar("consultas")
        ticket = self.almacen.consultar_ticket(numero_ticket)
        if ticket is None or ticket.usuario[:11] != ruc_usuario:
            return _error(404, "0127", mensaje_de("0127"))
        if ticket.consultas < self.config.consultas_en_proceso:
            return JSONResponse({"codRespuesta": "98"})
        cdr = leer_cdr(ticket.cdr or b"")
        clase = clasificar_codigo(cdr.codigo)
        if clase is ClaseCodigo.ACEPTADO:
            return JSONResponse({"codRespuesta": "0", "arcCdr": base64.b64encode(ticket.cdr or b"").decode(),
                                 "indCdrGenerado": "1"})
        respuesta: dict[str, object] = {"codRespuesta": "99", "error": {"numError": cdr.codigo,
                                                                       "desError": cdr.descripcion}}
        if clase is ClaseCodigo.RECHAZADO:  # a rejection has its CDR; an exception does not
            respuesta |= {"arcCdr": base64.b64encode(ticket.cdr or b"").decode(), "indCdrGenerado": "1"}
        else:
            respuesta["indCdrGenerado"] = "0"
        return JSONResponse(respuesta)


def rutas(api: ApiGre, fallas: Callable[[], Awaitable[Response | None]]) -> list[Route]:
    """`fallas()` is the sandbox's fault injection (an awaitable giving a Response, or None)."""

    async def token(request: Request) -> Response:
        api._contar("token")
        if (falla := await fallas()) is not None:
            return falla
        form = {k: str(v) for k, v in (await request.form()).items()}
        return api.token(request.path_params["client_id"], form)

    def con_token(atender: Callable[[str, Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if (falla := await fallas()) is not None:
                return falla
            ruc = api.ruc_del_token(request)
            if ruc is None:
                return _error(401, "401", "No autorizado: token inválido o vencido")
            return await atender(ruc, request)

        return endpoint

    async def enviar(ruc: str, request: Request) -> Response:
        try:
            cuerpo = await request.json()
        except ValueError:
            return _error(422, "0306", "El cuerpo no es JSON")
        respuesta = await run_in_threadpool(api.recibir, ruc, request.path_params["nombre"], cuerpo,
                                            str(request.base_url))
        if api.fallas.tomar_perdida():  # registered, but the answer is lost on the way back
            return Response("<html><body><h1>504 Gateway Time-out</h1></body></html>", status_code=504,
                            media_type="text/html")
        return respuesta

    async def consultar(ruc: str, request: Request) -> Response:
        return await run_in_threadpool(api.estado, ruc, request.path_params["ticket"])

    async def control(request: Request) -> JSONResponse:
        return JSONResponse(api.contadores)

    async def descargaqr(request: Request) -> Response:
        """What SUNAT's QR link opens: the guía's registration (public, no token)."""
        nombre = api.guia_del_qr(request.query_params.get("hashqr", ""))
        if nombre is None:
            return Response("<html><body>Código QR no válido</body></html>", status_code=404, media_type="text/html")
        return Response(f"<html><body><h1>Guía de Remisión Electrónica {nombre}</h1><p>ACEPTADA</p></body></html>",
                        media_type="text/html")

    return [
        Route("/v1/clientessol/{client_id}/oauth2/token/", token, methods=["POST"]),
        Route("/v1/contribuyente/gem/comprobantes/envios/{ticket}", con_token(consultar), methods=["GET"]),
        Route("/v1/contribuyente/gem/comprobantes/{nombre}", con_token(enviar), methods=["POST"]),
        Route("/_sandbox/gre", control, methods=["GET"]),
        Route(RUTA_QR, descargaqr, methods=["GET"]),
    ]
