"""The company configuration: GET/PUT /api/configuracion/, certificate upload."""

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from api.contrato import errores
from api.deps import Allowed, SessionDep
from core.errors import ValidationError
from core.schemas import salida_de
from models.configuracion import Configuracion
from services import configuracion

# 404 until the company is configured (`erp init`).
router = APIRouter(prefix="/api/configuracion", tags=["configuracion"], responses=errores(404))
MAX_PFX_BYTES = 64 * 1024

ConfiguracionOut = salida_de(
    Configuracion, "ConfiguracionOut", excluir=(*configuracion.SECRETS, "certificado_pfx", "certificado_password"),
    doc="The company's configuration. Secrets are write-only: only whether each one is set is shown.",
    certificado_configurado=(bool, ...), **{f"{name}_configurada": (bool, ...) for name in configuracion.SECRETS})


class CertificadoOut(ConfiguracionOut):  # type: ignore[misc, valid-type]
    """The configuration after a certificate upload, with the certificate's subject and expiry."""

    certificado_sujeto: str
    certificado_vence: str


@router.get("/", response_model=ConfiguracionOut)
def ver(session: SessionDep, _: Allowed("configuracion", "ver")) -> dict:
    return configuracion.vista(configuracion.obtener(session))


@router.put("/", response_model=ConfiguracionOut)
def actualizar(datos: configuracion.ConfiguracionUpdate, session: SessionDep,
               _: Allowed("configuracion", "editar")) -> dict:
    """Partial update. Secrets (SOL password, tokens) are write-only: the response only says if they are set."""
    return configuracion.actualizar(session, datos)


@router.post("/certificado/", response_model=CertificadoOut)
def certificado(session: SessionDep, _: Allowed("configuracion", "editar"),
                archivo: Annotated[UploadFile, File(description="PFX / P12")],
                password: Annotated[str, Form()]) -> dict:
    """Uploads the digital certificate used to sign comprobantes; stored encrypted."""
    pfx = archivo.file.read(MAX_PFX_BYTES + 1)
    if len(pfx) > MAX_PFX_BYTES:
        raise ValidationError("El certificado es demasiado grande", field="archivo")
    return configuracion.guardar_certificado(session, pfx, password)
