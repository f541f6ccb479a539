"""Google Sign-In (OpenID Connect ID tokens) and a local OIDC/JWKS server for development and tests."""
