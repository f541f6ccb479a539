"""A tiny in-memory server speaking the Nubefact JSON API (for the Nubefact provider tests).

``POST /nubefact/api/v1/{ruta}`` with ``Authorization: Token token="<token>"`` and a JSON body
whose ``operacion`` is ``generar_comprobante``, ``consultar_comprobante``, ``generar_anulacion``
or ``consultar_anulacion``. Errors are ``{"errors": "...", "codigo": N}`` with Nubefact's codes
(10 token, 20 formato, 23 ya existe, 24 no existe).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN_DEMO = "sandbox-nubefact-token"
NOMBRES = {1: "La Factura", 2: "La Boleta de Venta", 3: "La Nota de Credito", 4: "La Nota de Debito"}
REQUERIDOS = ("tipo_de_comprobante", "serie", "numero", "cliente_tipo_de_documento",
              "cliente_numero_de_documento", "total")


def _error(mensaje: str, codigo: int, status: int = 400) -> JSONResponse:
    return JSONResponse({"errors": mensaje, "codigo": codigo}, status_code=status)


@dataclass
class NubefactLocal:
    token: str = TOKEN_DEMO
    padron: set[str] = field(default_factory=set)  # empty = every RUC exists
    _docs: dict[tuple[int, str, int], dict] = field(default_factory=dict)
    _anulaciones: dict[tuple[int, str, int], dict] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def vaciar(self) -> None:
        with self._lock:
            self._docs.clear()
            self._anulaciones.clear()

    def rutas(self, prefijo: str) -> list[Route]:
        return [Route(prefijo + "/api/v1/{ruta}", self.atender, methods=["POST"])]

    async def atender(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization", "") != f'Token token="{self.token}"':
            return _error("El token enviado es incorrecto", 10, 401)
        try:
            datos = await request.json()
            clave = (int(datos["tipo_de_comprobante"]), str(datos["serie"]).upper(), int(datos["numero"]))
        except (ValueError, KeyError, TypeError):
            return _error("El archivo enviado no cumple con el formato establecido", 20)
        operacion = datos.get("operacion")
        with self._lock:
            if operacion == "generar_comprobante":
                return self._generar(clave, datos)
            if operacion == "consultar_comprobante":
                return self._consultar(self._docs, clave)
            if operacion == "generar_anulacion":
                return self._anular(clave, datos)
            if operacion == "consultar_anulacion":
                return self._consultar(self._anulaciones, clave, avanzar=True)
        return _error(f"operacion no soportada: {operacion}", 20)

    def _generar(self, clave: tuple[int, str, int], datos: dict) -> JSONResponse:
        faltan = [c for c in REQUERIDOS if datos.get(c) in (None, "")]
        if faltan:
            return _error(f"Faltan campos: {', '.join(faltan)}", 20)
        if clave in self._docs:
            return _error("Este documento ya existe en NubeFact", 23)
        tipo, serie, numero = clave
        cliente = str(datos["cliente_numero_de_documento"])
        aceptada = not (str(datos["cliente_tipo_de_documento"]) == "6" and self.padron and cliente not in self.padron)
        descripcion = (f"{NOMBRES.get(tipo, 'El comprobante')} numero {serie}-{numero}, ha sido aceptada"
                       if aceptada else "El numero de RUC del receptor no existe.")
        doc = {
            "tipo_de_comprobante": tipo, "serie": serie, "numero": numero,
            "enlace": f"https://www.nubefact.com/cpe/{serie}-{numero}",
            "aceptada_por_sunat": aceptada,
            "sunat_description": descripcion,
            "sunat_note": None,
            "sunat_responsecode": "0" if aceptada else "1083",
            "sunat_soap_error": "",
            "cadena_para_codigo_qr": f"{serie}|{numero}|{datos['total']}",
            "codigo_hash": hashlib.sha1(repr(sorted(datos.items())).encode()).hexdigest()[:28],
            "enlace_del_pdf": "", "enlace_del_xml": "", "enlace_del_cdr": "",
        }
        self._docs[clave] = doc
        return JSONResponse(doc)

    def _anular(self, clave: tuple[int, str, int], datos: dict) -> JSONResponse:
        if clave not in self._docs:
            return _error("El documento indicado no existe o no fue enviado a NubeFact", 24)
        anulacion = {
            "numero": len(self._anulaciones) + 1,
            "enlace": f"https://www.nubefact.com/anulacion/{clave[1]}-{clave[2]}",
            "sunat_ticket_numero": f"{1_700_000_000_000 + len(self._anulaciones)}",
            "aceptada_por_sunat": False,
            "sunat_description": None, "sunat_note": None, "sunat_responsecode": None, "sunat_soap_error": "",
            "enlace_del_pdf": "", "enlace_del_xml": "", "enlace_del_cdr": "",
            "motivo": datos.get("motivo", ""),
        }
        self._anulaciones[clave] = anulacion
        return JSONResponse(anulacion)

    @staticmethod
    def _consultar(almacen: dict, clave: tuple[int, str, int], avanzar: bool = False) -> JSONResponse:
        doc = almacen.get(clave)
        if doc is None:
            return _error("El documento indicado no existe o no fue enviado a NubeFact", 24)
        if avanzar and not doc["aceptada_por_sunat"]:
            # The first query finds the baja still in process; the next one accepted.
            if doc.get("_consultado"):
                doc.update(aceptada_por_sunat=True, sunat_responsecode="0",
                           sunat_description=f"La Comunicacion de baja {clave[1]}-{clave[2]}, ha sido aceptada")
            doc["_consultado"] = True
        return JSONResponse({k: v for k, v in doc.items() if not k.startswith("_")})
