"""A local OpenID Connect provider that stands in for Google Sign-In on loopback.

It serves the discovery document (`/.well-known/openid-configuration`) and the JWKS (`/oauth2/v3/certs`)
over real HTTP, and mints RS256 ID tokens shaped like Google's, so the app verifies them exactly as
it verifies Google's. Point GOOGLE_ISSUER / GOOGLE_JWKS_URL at it (`settings_env()` gives the values).

    python -m integrations.google.sandbox --port 8710 --client-id erp-local
    curl 'http://127.0.0.1:8710/mint?email=admin@test.pe'   # an ID token for development

Anyone who can reach it can mint a token for any e-mail, so it refuses to start unless ERP_ENV=development
(set by `erp up` only), and the API refuses a non-HTTPS issuer outside development (integrations.google.client).
"""

import argparse
import logging
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from core.settings import get_settings
from integrations.standin import HttpStandin, run_until_signalled, send_json

log = logging.getLogger(__name__)
WARNING = ("LOCAL GOOGLE SIGN-IN STAND-IN RUNNING at {issuer}: anyone on this host can sign in as ANY user "
           "(GET /mint?email=...). Development only - never expose it or run it in production.")


def new_key() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class GoogleSandbox(HttpStandin):
    """Start/stop in a background thread; `mint(...)` signs ID tokens with the published key."""

    def __init__(self, client_id: str = "erp-local", port: int = 0, host: str = "127.0.0.1"):
        self.client_id = client_id
        self.key, self.kid = new_key(), uuid.uuid4().hex
        self.serve(_handler_for(self), host, port)

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/oauth2/v3/certs"

    def settings_env(self) -> dict[str, str]:
        return {"GOOGLE_ISSUER": self.issuer, "GOOGLE_JWKS_URL": self.jwks_url, "GOOGLE_CLIENT_ID": self.client_id}

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "jwks_uri": self.jwks_url, "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["id_token"], "subject_types_supported": ["public"]}

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def mint(self, email: str, *, audience: str | None = None, lifetime: int = 3600, email_verified: bool = True,
             key: RSAPrivateKey | None = None, issuer: str | None = None, **extra: Any) -> str:
        """An ID token for `email`; override audience/issuer/key/lifetime (negative = expired) to forge bad ones."""
        now = int(time.time())
        claims = {"iss": issuer or self.issuer, "aud": audience or self.client_id, "sub": f"sandbox-{email}",
                  "email": email, "email_verified": email_verified, "iat": now, "exp": now + lifetime, **extra}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def start(self) -> "GoogleSandbox":
        if get_settings().erp_env != "development":
            raise RuntimeError("The Google Sign-In stand-in signs in anyone as anyone: it only runs with "
                               "ERP_ENV=development (as under `erp up`)")
        log.warning(WARNING.format(issuer=self.issuer))
        return super().start()


def _handler_for(sandbox: GoogleSandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            url = urlparse(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._json(sandbox.discovery())
            elif url.path == "/oauth2/v3/certs":
                self._json(sandbox.jwks())
            elif url.path == "/mint" and (email := parse_qs(url.query).get("email")):
                self._json({"id_token": sandbox.mint(email[0])})
            else:
                self._json({"error": "not_found"}, 404)

        def _json(self, body: dict[str, Any], status: int = 200) -> None:
            send_json(self, status, body)

        def log_message(self, *_args: Any) -> None:  # keep test output quiet
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Local Google Sign-In (OIDC/JWKS) sandbox")
    parser.add_argument("--port", type=int, default=8710)
    parser.add_argument("--client-id", default="erp-local")
    args = parser.parse_args()
    try:
        sandbox = GoogleSandbox(args.client_id, args.port).start()
    except RuntimeError as exc:
        sys.exit(f"refused: {exc}")
    banner = "!" * 100
    print(f"{banner}\n{WARNING.format(issuer=sandbox.issuer)}\n{banner}", file=sys.stderr, flush=True)
    print(" ".join(f"{k}={v}" for k, v in sandbox.settings_env().items()), flush=True)
    run_until_signalled(sandbox.stop)


if __name__ == "__main__":
    main()
