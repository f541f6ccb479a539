"""The sandbox's own self-signed certificate, used to sign its CDRs (kept in the data dir)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

NOMBRE = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "PE"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SUNAT SANDBOX (JSOLUCIONES ERP)"),
        x509.NameAttribute(NameOID.COMMON_NAME, "20131312955 sandbox CDR"),
    ]
)


def generar() -> tuple[bytes, bytes]:
    clave = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ahora = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(NOMBRE)
        .issuer_name(NOMBRE)
        .public_key(clave.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(ahora - timedelta(days=1))
        .not_valid_after(ahora + timedelta(days=3650))
        .sign(clave, hashes.SHA256())
    )
    clave_pem = clave.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return clave_pem, cert.public_bytes(serialization.Encoding.PEM)


def certificado_sandbox(data_dir: Path) -> tuple[bytes, bytes]:
    """(key PEM, certificate PEM), created on first use and reused after restarts."""
    data_dir.mkdir(parents=True, exist_ok=True)
    ruta_clave, ruta_cert = data_dir / "sandbox-cdr-key.pem", data_dir / "sandbox-cdr-cert.pem"
    if not (ruta_clave.exists() and ruta_cert.exists()):
        clave, cert = generar()
        ruta_clave.write_bytes(clave)
        ruta_clave.chmod(0o600)
        ruta_cert.write_bytes(cert)
    return ruta_clave.read_bytes(), ruta_cert.read_bytes()
