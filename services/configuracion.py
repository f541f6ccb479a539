"""The company singleton (`configuracion`). Secrets are write-only: stored encrypted, never returned."""

from decimal import Decimal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from pydantic import Field, field_validator
from sqlmodel import Session
from stdnum.pe import ruc as pe_ruc

from core.db import get_or_404, per_session
from core.errors import ValidationError
from core.schemas import Entrada
from models.configuracion import Configuracion

SECRETS = ("sunat_clave_sol", "nubefact_token", "whatsapp_token", "whatsapp_app_secret", "smtp_password")
SERIE = r"^[A-Z0-9]{4}$"


class ConfiguracionUpdate(Entrada):
    ruc: str | None = None
    razon_social: str | None = Field(default=None, min_length=2, max_length=200)
    nombre_comercial: str | None = Field(default=None, max_length=200)
    direccion: str | None = Field(default=None, max_length=300)
    ubigeo: str | None = Field(default=None, pattern=r"^\d{6}$")
    departamento: str | None = None
    provincia: str | None = None
    distrito: str | None = None
    telefono: str | None = None
    email: str | None = None
    web: str | None = None
    igv_tasa: Decimal | None = Field(default=None, ge=0, le=Decimal("0.5"), decimal_places=4)
    icbper_tarifa: Decimal | None = Field(default=None, ge=0, le=Decimal("10"), decimal_places=2)  # S/ per bag
    serie_factura: str | None = Field(default=None, pattern=r"^F[A-Z0-9]{3}$")
    serie_boleta: str | None = Field(default=None, pattern=r"^B[A-Z0-9]{3}$")
    cuenta_detracciones: str | None = Field(default=None, pattern=r"^[0-9][0-9-]{6,28}[0-9]$")  # Banco de la Nación
    proveedor_sunat: str | None = Field(default=None, pattern=r"^(SEE|NUBEFACT)$")
    sunat_usuario_sol: str | None = None
    nubefact_url: str | None = None
    whatsapp_phone_number_id: str | None = None
    notificar_cliente: bool | None = None
    # write-only secrets
    sunat_clave_sol: str | None = None
    nubefact_token: str | None = None
    whatsapp_token: str | None = None
    whatsapp_app_secret: str | None = None
    smtp_password: str | None = None

    @field_validator("ruc")
    @classmethod
    def _ruc(cls, value: str | None) -> str | None:
        if value is not None and not pe_ruc.is_valid(value):
            raise ValueError("RUC inválido (11 dígitos y dígito verificador)")
        return value


def obtener(session: Session) -> Configuracion:
    """The company singleton, read once per session (every sale and comprobante needs it)."""
    return per_session(session, "configuracion",
                       lambda: get_or_404(session, Configuracion, 1, "La empresa aún no está configurada"))


def vista(config: Configuracion) -> dict:
    """What the API shows: every field except secrets, plus whether each secret is set."""
    data = config.model_dump(exclude={*SECRETS, "certificado_pfx", "certificado_password"})
    data.update({f"{name}_configurada": getattr(config, name) is not None for name in SECRETS})
    data["certificado_configurado"] = config.certificado_pfx is not None
    return data


def actualizar(session: Session, datos: ConfiguracionUpdate) -> dict:
    config = obtener(session)
    for key, value in datos.model_dump(exclude_unset=True).items():
        setattr(config, key, value)
    session.add(config)
    session.commit()
    return vista(config)


def abrir_pfx(pfx: bytes, password: str, campo: str) -> x509.Certificate:
    """The certificate of a PKCS#12 that opens with the password and holds a key and a certificate (else 400)."""
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(pfx, password.encode())
    except ValueError as exc:
        raise ValidationError("No se pudo abrir el certificado: archivo o contraseña incorrectos",
                              field=campo) from exc
    if key is None or cert is None:
        raise ValidationError("El archivo no contiene clave privada y certificado", field=campo)
    return cert


def guardar_certificado(session: Session, pfx: bytes, password: str) -> dict:
    """Accepts a PKCS#12 only if it opens with the password and holds a key and a certificate."""
    cert = abrir_pfx(pfx, password, "certificado")
    config = obtener(session)
    config.certificado_pfx, config.certificado_password = pfx, password
    session.add(config)
    session.commit()
    return vista(config) | {"certificado_sujeto": cert.subject.rfc4514_string(),
                            "certificado_vence": cert.not_valid_after_utc.isoformat()}
