"""Application settings, read from the environment or `.env` (pydantic-settings)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="", extra="ignore")

    # Infrastructure. Empty DATABASE_URL / TEMPORAL_ADDRESS mean "use the embedded servers" (erp up).
    database_url: str = ""  # the app's login role: rows only (API, worker)
    # The role that owns the tables and runs migrations; empty → DATABASE_URL (one role, with a warning).
    database_owner_url: str = ""
    # Passwords of the two roles `erp up` creates in the embedded PostgreSQL (generated into .env).
    db_owner_password: str = ""
    db_app_password: str = ""
    temporal_address: str = ""
    temporal_namespace: str = "default"
    temporal_task_queue: str = "erp"
    data_dir: Path = ROOT / ".erp"
    storage_dir: Path = Field(default=ROOT / ".erp" / "storage")

    # Security. Both keys are required outside of `erp up`, which generates them into .env.
    secret_key: str = ""
    encryption_key: str = ""  # Fernet key for secrets and the PFX at rest
    jwt_algorithm: str = "HS256"
    access_token_minutes: int = 60
    refresh_token_days: int = 7
    twofa_token_minutes: int = 5
    login_rate_limit_per_minute: int = 5
    cors_origins: list[str] = ["http://localhost:3000"]
    # Thread pool for sync endpoints per API process. Small on purpose: fewer threads contending for one GIL
    # means a request that holds a row lock (numbering series, hot stock row) finishes sooner: fair latency.
    api_threads: int = 8
    # Admission control per API process: at most this many business requests inside the app at once; the
    # rest queue, and one that cannot get in within API_QUEUE_TIMEOUT_S answers 503 + Retry-After (a burst
    # degrades into bounded waiting or a fast refusal, never into a stall). /health is never queued.
    api_max_in_flight: int = 16
    api_queue_timeout_s: float = 5.0
    # Seconds a request waits for a free database connection before answering 503 + Retry-After.
    db_pool_timeout_s: float = 10.0
    # Addresses of the reverse proxies whose X-Forwarded-For is believed (none by default: the peer is the client).
    trusted_proxies: list[str] = []
    google_client_id: str = "erp-local"
    google_issuer: str = "https://accounts.google.com"
    google_jwks_url: str = "https://www.googleapis.com/oauth2/v3/certs"
    # `erp up` without GOOGLE_ISSUER serves a local Google Sign-In stand-in on this loopback port.
    google_sandbox_port: int = 8710

    # `development` only under `erp up`: enables the local Google Sign-In stand-in. Anything else is production.
    erp_env: str = "production"

    # Business defaults
    timezone: str = "America/Lima"

    # SUNAT (SEE SOAP). "sandbox" points at the local sandbox started by `erp up`.
    sunat_env: str = "sandbox"  # sandbox | beta | produccion | ose
    sunat_bill_url: str = ""
    sunat_consult_url: str = ""
    sunat_sandbox_port: int = 8700
    # Contingency: wait before resending to an unreachable SUNAT, doubling up to the maximum (seconds). The
    # maximum is the probe interval of a long outage: a recovered SUNAT is noticed within it (one probe per
    # series, so a short interval costs SUNAT nothing).
    sunat_reintento_inicial_s: float = Field(default=10.0, gt=0)
    sunat_reintento_maximo_s: float = Field(default=60.0, gt=0)

    # Mail (SMTP). `erp up` starts a local SMTP server on this port.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "erp@localhost"
    smtp_starttls: bool = False

    # Google Geocoding (module 4). `erp up` and the tests point GOOGLE_GEOCODING_URL at the local stand-in.
    google_geocoding_url: str = "https://maps.googleapis.com"
    google_maps_api_key: str = ""
    geocoding_sandbox_port: int = 8730
    # Where customers open their public tracking page (the link in their notifications).
    public_base_url: str = "http://127.0.0.1:8000"
    # WhatsApp Cloud API (module 7). The Graph API version is a setting: v17.0 expired on 2025-09-12; v25.0
    # (February 2026) is available until July 2028. `erp up` points the base URL at the local Meta stand-in.
    whatsapp_graph_url: str = "https://graph.facebook.com"
    whatsapp_api_version: str = Field(default="v25.0", pattern=r"^v\d+\.\d+$")
    whatsapp_verify_token: str = ""  # Meta's webhook verification handshake (hub.verify_token)
    whatsapp_sandbox_port: int = 8722
    whatsapp_mensajes_por_segundo: float = Field(default=20.0, gt=0)  # campaign pacing (Meta allows 80/s)
    whatsapp_timeout_s: float = Field(default=15.0, gt=0)

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    log_level: str = "INFO"

    # Module 6: SUNAT's published exchange rate (e-consulta tcS01Alias); `erp up` in development points it at
    # its local stand-in on this port (integrations.sunat.tipo_cambio_sandbox).
    sunat_tipo_cambio_url: str = "https://e-consulta.sunat.gob.pe"
    tipo_cambio_sandbox_port: int = 8720
    # module 5: SUNAT's consulta integrada de comprobantes de pago (OAuth2 + validarcomprobante); by default
    # the local sandbox `erp up` starts (python -m integrations.sunat.consulta_sandbox)
    sunat_consulta_sandbox_port: int = 8721
    sunat_seguridad_url: str = ""  # https://api-seguridad.sunat.gob.pe in production
    sunat_consulta_url: str = ""  # https://api.sunat.gob.pe in production
    sunat_consulta_reintento_s: float = Field(default=30.0, gt=0)
    # module 4: the GRE remitente through SUNAT's GRE REST API (OAuth2 password grant with the SOL user, then
    # comprobantes/envios). Empty URLs = the local SUNAT sandbox on sunat_sandbox_port when sunat_env is
    # "sandbox", else https://api-seguridad.sunat.gob.pe / https://api-cpe.sunat.gob.pe; the client id and
    # secret are the API client registered in SUNAT Operaciones en Línea.
    sunat_gre_seguridad_url: str = ""
    sunat_gre_api_url: str = ""
    sunat_gre_client_id: str = "sandbox-gre"
    sunat_gre_client_secret: str = "sandbox-gre-secret"
    gre_remitente: bool = True  # an order goes EN_RUTA only with its GRE accepted by SUNAT
    gre_reintento_inicial_s: float = Field(default=2.0, gt=0)  # first wait on a ticket in process / SUNAT down

    @property
    def owner_url(self) -> str:
        """Where migrations run: the owner role, or the single role of a one-role install."""
        return self.database_owner_url or self.database_url


@lru_cache
def get_settings() -> Settings:
    return Settings()
