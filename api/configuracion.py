"""The company configuration: GET/PUT /api/configuracion/, certificate upload."""

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from api.deps import Allowed, SessionDep
from core.errors import ValidationError
from services import configuracion

router = APIRouter(prefix="/api/configuracion", tags=["configuracion"])
MAX_PFX_BYTES = 64 * 1024


@router.get("/")
def ver(session: SessionDep, _: Allowed("configuracion", "ver")) -> dict:
    return configuracion.vista(configuracion.obtener(session))


@router.put("/")
def actualizar(datos: configuracion.ConfiguracionUpdate, session: SessionDep,
               _: Allowed("configuracion", "editar")) -> dict:
    """Partial update. Secrets (SOL password, tokens) are write-only: the response only says if they are set."""
    return configuracion.actualizar(session, datos)


@router.post("/certificado/")
def certificado(session: SessionDep, _: Allowed("configuracion", "editar"),
                archivo: Annotated[UploadFile, File(description="PFX / P12")],
                password: Annotated[str, Form()]) -> dict:
    """Uploads the digital certificate used to sign comprobantes; stored encrypted."""
    pfx = archivo.file.read(MAX_PFX_BYTES + 1)
    if len(pfx) > MAX_PFX_BYTES:
        raise ValidationError("El certificado es demasiado grande", field="archivo")
    return configuracion.guardar_certificado(session, pfx, password)
