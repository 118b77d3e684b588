"""OIDC access tokens from Keycloak turned into a :class:`Principal`, and the estate/role checks.

Tenancy: every estate is a Keycloak Organization in the platform realm whose alias is the estate
code; the token's ``organization`` claim lists the caller's estates, ``realm_access.roles`` its roles
(see docs/decisions/0001-tenancy-in-keycloak.md).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from xinyi_shared import tracing
from xinyi_shared.errors import PermissionDenied, Unauthenticated, Unavailable
from xinyi_shared.settings import ServiceSettings

VERIFIED_TOKENS_KEPT = 10_000


class Role:
    PLATFORM_ADMIN = "platform_admin"
    FIRM_MANAGER = "firm_manager"
    FIRM_STAFF = "firm_staff"
    SUPERVISOR = "supervisor"
    RESIDENT = "resident"
    GRID_LEADER = "grid_leader"
    COMMUNITY_OFFICER = "community_officer"
    GOVERNANCE_OBSERVER = "governance_observer"
    # Service accounts of the platform's own services (client credentials); cross-estate by design.
    SERVICE = "service"


# Roles whose holders act inside the estates they are members of.
ESTATE_ROLES = frozenset(
    {Role.FIRM_MANAGER, Role.FIRM_STAFF, Role.SUPERVISOR, Role.RESIDENT, Role.GRID_LEADER, Role.COMMUNITY_OFFICER}
)


@dataclass(frozen=True)
class Principal:
    subject: str
    username: str
    roles: frozenset[str]
    estates: frozenset[str]

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def is_service(self) -> bool:
        return Role.SERVICE in self.roles


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    roles = frozenset(claims.get("realm_access", {}).get("roles", []))
    return Principal(
        subject=str(claims.get("sub", "")),
        username=str(claims.get("preferred_username", "")),
        roles=roles,
        estates=frozenset(_organization_aliases(claims.get("organization"))),
    )


def _organization_aliases(claim: object) -> Iterable[str]:
    # Keycloak emits a list of aliases, or a map alias -> attributes when the mapper adds ids.
    if isinstance(claim, dict):
        return (str(alias) for alias in claim)
    if isinstance(claim, list):
        return (str(alias) for alias in claim if isinstance(alias, str))
    if isinstance(claim, str):
        return (claim,)
    return ()


def require_role(principal: Principal, *roles: str) -> None:
    if not principal.has_role(*roles):
        raise PermissionDenied(f"this action needs one of the roles: {', '.join(sorted(roles))}")


def require_estate_access(principal: Principal, estate_code: str, *roles: str) -> None:
    """The caller holds one of ``roles`` and belongs to ``estate_code`` (services may act for any estate)."""
    require_role(principal, *roles)
    if principal.is_service:
        return
    if estate_code not in principal.estates:
        raise PermissionDenied("the token is not scoped to this estate")


class TokenVerifier:
    """Verifies RS256 access tokens against the realm's published keys.

    Keys are cached; a token signed with an unknown key id makes PyJWKClient fetch the key set
    again, so Keycloak key rotation needs no restart."""

    def __init__(self, issuer: str, audience: str, jwks_url: str | None = None) -> None:
        self.issuer = issuer
        self.audience = audience
        self._jwks = jwt.PyJWKClient(
            jwks_url or f"{issuer}/protocol/openid-connect/certs", cache_keys=True, lifespan=3600, timeout=5
        )
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> TokenVerifier:
        return cls(settings.issuer, settings.token_audience, f"{settings.realm_url}/protocol/openid-connect/certs")

    def remembered(self, token: str) -> Principal | None:
        """The principal of ``token`` if it was verified before and has not expired (no I/O, no RSA)."""
        with self._lock:
            cached = self._verified.get(token)
        if cached is not None and time.time() < cached[1]:
            return cached[0]
        return None

    def verify(self, token: str) -> Principal:
        """The token's principal; a token verified before is answered from memory until it expires
        (its signature cannot change, and an RS256 check costs more than the rest of a small request)."""
        if not token:
            raise Unauthenticated("missing bearer token")
        if (principal := self.remembered(token)) is not None:
            return principal
        principal, expires_at = self._verify_signature(token)
        with self._lock:
            self._verified[token] = (principal, expires_at)
            self._verified.move_to_end(token)
            while len(self._verified) > VERIFIED_TOKENS_KEPT:
                self._verified.popitem(last=False)
        return principal

    def _verify_signature(self, token: str) -> tuple[Principal, float]:
        try:
            signing_key = self._jwks.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as error:
            raise Unavailable("cannot reach the identity provider to verify the token") from error
        except (jwt.PyJWKClientError, jwt.DecodeError) as error:
            raise Unauthenticated(f"token not accepted: {error}") from error
        try:
            claims = jwt.decode(
                token,
                signing_key.key,
                algorithms=["RS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "iss", "aud"]},
                leeway=10,
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated("token expired") from error
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(f"token not accepted: {error}") from error
        return principal_from_claims(claims), float(claims["exp"])


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("missing bearer token (Authorization: Bearer <token>)")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("malformed Authorization header: expected 'Bearer <token>'")
    return token.strip()


class ServiceTokenProvider:
    """Client-credentials access token of this service, refreshed shortly before it expires."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._url = f"{settings.realm_url}/protocol/openid-connect/token"
        self._client_id = settings.client_id
        self._client_secret = settings.client_secret.get_secret_value()
        self._token = ""
        self._expires_at = 0.0
        self._lock = threading.Lock()
        # Traced: a token fetched inside a request shows in its trace.
        self._http = httpx.Client(transport=tracing.TracedTransport(), timeout=10)

    def token(self) -> str:
        with self._lock:
            if time.monotonic() < self._expires_at - 30:
                return self._token
            try:
                response = self._http.post(
                    self._url,
                    data={"grant_type": "client_credentials"},
                    auth=(self._client_id, self._client_secret),
                )
            except httpx.HTTPError as error:
                raise Unavailable(f"cannot reach the identity provider: {error}") from error
            if response.status_code != 200:
                raise Unavailable(f"identity provider refused the service credentials ({response.status_code})")
            body = response.json()
            self._token = body["access_token"]
            self._expires_at = time.monotonic() + float(body.get("expires_in", 60))
            return self._token
