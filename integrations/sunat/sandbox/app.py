"""The sandbox ASGI app (Starlette): SUNAT SOAP endpoints, ``?wsdl``, control API, Nubefact.

Routes
------
* ``POST /ol-ti-itcpfegem/billService`` (also ``/ol-ti-itcpfegem-beta/billService``, ``/billService``)
* ``POST /ol-it-wsconscpegem/billConsultService`` (also ``/billConsultService``)
* ``GET  <service>?wsdl``
* ``GET|POST /_sandbox/modo``, ``POST /_sandbox/padron``, ``GET /_sandbox/comprobantes``,
  ``POST /_sandbox/reset`` — the control API (also served on the control port)
* ``POST /nubefact/api/v1/{ruta}`` — a tiny Nubefact-protocol server
* the GRE REST API (token, ``/v1/contribuyente/gem/comprobantes``): see ``integrations.sunat.sandbox.gre``
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from integrations.sunat.sandbox import certificado
from integrations.sunat.sandbox.config import EstadoFallas, Modo, SandboxConfig
from integrations.sunat.sandbox.gre import ApiGre
from integrations.sunat.sandbox.gre import rutas as rutas_gre
from integrations.sunat.sandbox.nubefact_local import NubefactLocal
from integrations.sunat.sandbox.recepcion import Recepcion
from integrations.sunat.sandbox.soap import (
    OPERACIONES_BILL,
    OPERACIONES_CONSULTA,
    FaultSunat,
    fault,
    leer_peticion,
    wsdl,
)
from integrations.sunat.sandbox.store import Almacen

XML = "text/xml; charset=utf-8"
RUTAS_BILL = ("/ol-ti-itcpfegem/billService", "/ol-ti-itcpfegem-beta/billService", "/billService")
RUTAS_CONSULTA = ("/ol-it-wsconscpegem/billConsultService", "/billConsultService")


@dataclass
class Sandbox:
    """Everything the routes share. ``al_cambiar_modo`` lets the server runner stop/start the
    SOAP listener for ``caido``; it returns an awaitable that completes when that is done."""

    config: SandboxConfig
    almacen: Almacen
    fallas: EstadoFallas
    recepcion: Recepcion
    nubefact: NubefactLocal
    gre: ApiGre
    al_cambiar_modo: Callable[[Modo, int | None], Awaitable[None]] | None = None


def crear_sandbox(config: SandboxConfig) -> Sandbox:
    clave, cert = certificado.certificado_sandbox(config.data_dir)
    almacen = Almacen(config.data_dir)
    fallas = EstadoFallas()
    recepcion = Recepcion(config, almacen, fallas, clave, cert)
    return Sandbox(config, almacen, fallas, recepcion, NubefactLocal(padron=config.padron),
                   ApiGre(config, almacen, fallas, clave, cert))


async def _aplicar_fallas(sandbox: Sandbox) -> Response | None:
    fallas = sandbox.fallas
    if fallas.modo is Modo.ERROR_5XX:
        return Response("<html><body><h1>503 Service Unavailable</h1></body></html>",
                        status_code=fallas.status, media_type="text/html")
    if fallas.modo is Modo.LENTO:
        await asyncio.sleep(fallas.segundos)
    return None


def _servicio_soap(sandbox: Sandbox, nombre: str, operaciones: dict, atender: Callable[..., bytes]):
    async def endpoint(request: Request) -> Response:
        if request.method == "GET":
            if "wsdl" not in {k.lower() for k in request.query_params}:
                return Response("use ?wsdl", status_code=404)
            direccion = str(request.url.replace(query=""))
            return Response(wsdl(nombre, direccion, operaciones), media_type=XML)
        falla = await _aplicar_fallas(sandbox)
        if falla is not None:
            return falla
        cuerpo = await request.body()
        try:
            peticion = leer_peticion(cuerpo)
            contenido = await run_in_threadpool(atender, peticion)
        except FaultSunat as error:
            return Response(fault(error), status_code=500, media_type=XML)
        return Response(contenido, media_type=XML)

    return endpoint


def _control(sandbox: Sandbox):
    async def modo(request: Request) -> JSONResponse:
        if request.method == "POST":
            datos = await request.json()
            try:
                nuevo = Modo(datos.get("modo", "normal"))
            except ValueError:
                return JSONResponse({"error": f"modo inválido: {datos.get('modo')}"}, status_code=400)
            sandbox.fallas.cambiar(
                nuevo,
                segundos=float(datos.get("segundos", 5.0)),
                status=int(datos.get("status", 503)),
                codigo=str(datos.get("codigo", "")),
                mensaje=str(datos.get("mensaje", "")),
                cantidad=int(datos.get("cantidad", 1)),
            )
            if sandbox.al_cambiar_modo is not None:
                await sandbox.al_cambiar_modo(nuevo, (request.scope.get("server") or (None, None))[1])
        return JSONResponse({**sandbox.fallas.como_dict(), "verificaciones": {
            "xsd": sandbox.config.validar_xsd, "firma": sandbox.config.verificar_firma,
            "reglas": sandbox.config.validar_reglas}})

    async def padron(request: Request) -> JSONResponse:
        datos = await request.json()
        for ruc in datos.get("agregar", [datos["ruc"]] if "ruc" in datos else []):
            sandbox.config.padron.add(str(ruc))
        for ruc in datos.get("quitar", []):
            sandbox.config.padron.discard(str(ruc))
        return JSONResponse({"padron": sorted(sandbox.config.padron)})

    async def comprobantes(request: Request) -> JSONResponse:
        return JSONResponse(await run_in_threadpool(sandbox.almacen.listar))

    async def reset(request: Request) -> JSONResponse:
        await run_in_threadpool(sandbox.almacen.vaciar)
        sandbox.fallas.cambiar(Modo.NORMAL)
        sandbox.nubefact.vaciar()
        sandbox.gre.olvidar_tokens()
        if sandbox.al_cambiar_modo is not None:
            await sandbox.al_cambiar_modo(Modo.NORMAL, None)
        return JSONResponse({"ok": True})

    return [
        Route("/_sandbox/modo", modo, methods=["GET", "POST"]),
        Route("/_sandbox/padron", padron, methods=["POST"]),
        Route("/_sandbox/comprobantes", comprobantes, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
    ]


def crear_app(sandbox: Sandbox) -> Starlette:
    bill = _servicio_soap(sandbox, "billService", OPERACIONES_BILL, sandbox.recepcion.atender_bill)
    consulta = _servicio_soap(sandbox, "billConsultService", OPERACIONES_CONSULTA, sandbox.recepcion.atender_consulta)
    rutas = [Route(r, bill, methods=["GET", "POST"]) for r in RUTAS_BILL]
    rutas += [Route(r, consulta, methods=["GET", "POST"]) for r in RUTAS_CONSULTA]
    rutas += _control(sandbox)
    rutas += sandbox.nubefact.rutas("/nubefact")
    rutas += rutas_gre(sandbox.gre, lambda: _aplicar_fallas(sandbox))
    return Starlette(routes=rutas)
