"""Module 9 authentication endpoints: /api/auth/..."""


from fastapi import APIRouter, Request
from pydantic import ConfigDict, EmailStr, Field

from api.contrato import errores
from api.deps import CurrentUser, SessionDep, client_ip
from core.schemas import Entrada, PasswordBcrypt, Salida
from integrations.google.client import verify_id_token
from services import auth

# Wrong credentials, a revoked refresh token or a bad code answer 401; an inactive user 403; too many logins 429.
router = APIRouter(prefix="/api/auth", tags=["auth"], responses=errores(401, 403, 429))


class LoginIn(Entrada):
    email: EmailStr
    password: PasswordBcrypt


class TokensOut(Salida):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"access_token": "eyJhbGciOi…", "refresh_token": "eyJhbGciOi…", "token_type": "bearer",
         "requiere_2fa": False, "token_2fa": None},
        {"access_token": None, "refresh_token": None, "token_type": "2fa", "requiere_2fa": True,
         "token_2fa": "eyJhbGciOi…"}]})

    access_token: str | None = None
    refresh_token: str | None = None
    token_type: str = "bearer"
    requiere_2fa: bool = False
    token_2fa: str | None = None


class RefreshIn(Entrada):
    refresh_token: str


def _out(result: auth.TokenPair | auth.SegundoFactorRequerido) -> TokensOut:
    if isinstance(result, auth.SegundoFactorRequerido):
        return TokensOut(requiere_2fa=True, token_2fa=result.token_2fa, token_type="2fa")
    return TokensOut(access_token=result.access_token, refresh_token=result.refresh_token)


@router.post("/login/", response_model=TokensOut)
def login(body: LoginIn, request: Request, session: SessionDep) -> TokensOut:
    """Email + password. Users with 2FA get a short-lived `token_2fa` instead of a JWT."""
    return _out(auth.login(session, body.email, body.password, client_ip(request),
                           request.headers.get("user-agent")))


@router.post("/refresh/", response_model=TokensOut)
def refresh(body: RefreshIn, request: Request, session: SessionDep) -> TokensOut:
    return _out(auth.refresh(session, body.refresh_token, client_ip(request), request.headers.get("user-agent")))


class LogoutIn(Entrada):
    refresh_token: str | None = None


@router.post("/logout/", status_code=204)
def logout(user: CurrentUser, session: SessionDep, datos: LogoutIn | None = None) -> None:
    """Revokes the access token (and the refresh token if sent) until they would expire."""
    auth.logout(session, user, datos.refresh_token if datos else None)


class Login2FAIn(Entrada):
    token_2fa: str
    codigo: str = Field(pattern=r"^\d{6}$", description="TOTP code from the authenticator app")


class GoogleIn(Entrada):
    id_token: str


@router.post("/login/2fa/", response_model=TokensOut)
def login_2fa(body: Login2FAIn, request: Request, session: SessionDep) -> TokensOut:
    """Second step for 2FA users: the `token_2fa` from /login/ plus the current TOTP code."""
    return _out(auth.login_2fa(session, body.token_2fa, body.codigo, client_ip(request),
                               request.headers.get("user-agent")))


@router.post("/sso/google/", response_model=TokensOut)
def sso_google(body: GoogleIn, request: Request, session: SessionDep) -> TokensOut:
    """Google Sign-In: a verified Google ID token of an existing, active user."""
    identity = verify_id_token(body.id_token)
    return _out(auth.login_google(session, identity, client_ip(request), request.headers.get("user-agent")))
