"""Module 1 customers: /api/clientes/."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import Allowed, SessionDep
from core.schemas import Id, Pagina, Paginacion, salida_de
from models.ventas import Cliente
from services import clientes

router = APIRouter(prefix="/api/clientes", tags=["clientes"])

ClienteOut = salida_de(
    Cliente, "ClienteOut", doc="A customer; tipo_doc is SUNAT's catálogo 06, pais ISO 3166-1 (abroad: exportación).",
    ejemplo={"id": 12, "tipo_doc": "6", "numero_doc": "20100066603", "razon_social": "ACME S.A.C.",
             "direccion": "Av. Arequipa 123, Lima", "email": "compras@acme.pe", "telefono": "014445555",
             "categoria": "MAYORISTA", "limite_credito": "5000.00", "dias_credito": 30, "pais": "PE", "tags": ["vip"],
             "activo": True, "created_at": "2026-03-01T09:00:00Z"})


@router.get("/", response_model=Pagina[ClienteOut])
def buscar(session: SessionDep, _: Allowed("clientes", "ver"), pagina: Annotated[Paginacion, Depends()],
           q: Annotated[str | None, Query(max_length=100, description="document number prefix or name")] = None,
           categoria: Annotated[str | None, Query(max_length=30)] = None,
           tag: Annotated[str | None, Query(max_length=40)] = None) -> Pagina[ClienteOut]:
    """Search by document number (prefix) or name (similarity)."""
    return pagina.pagina(*clientes.buscar(session, q, categoria, tag, pagina))


@router.post("/", status_code=201, response_model=ClienteOut)
def crear(datos: clientes.ClienteIn, session: SessionDep, _: Allowed("clientes", "crear")) -> Cliente:
    return clientes.crear(session, datos)


@router.get("/{cliente_id}/", response_model=ClienteOut)
def obtener(cliente_id: Id, session: SessionDep, _: Allowed("clientes", "ver")) -> Cliente:
    return clientes.obtener(session, cliente_id)


@router.put("/{cliente_id}/", response_model=ClienteOut)
def editar(cliente_id: Id, datos: clientes.ClienteIn, session: SessionDep,
           _: Allowed("clientes", "editar")) -> Cliente:
    return clientes.editar(session, cliente_id, datos)
