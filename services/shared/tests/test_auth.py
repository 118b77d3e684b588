import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from xinyi_shared.auth import (
    Principal,
    Role,
    TokenVerifier,
    bearer_token,
    principal_from_claims,
    require_estate_access,
)
from xinyi_shared.errors import PermissionDenied, Unauthenticated

ISSUER = "http://keycloak.test/realms/xinyi"
AUDIENCE = "xinyi-api"


class _Keys:
    """Stands in for the realm's JWKS endpoint: hands out the public key of the signing key."""

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self.public_key = private_key.public_key()

    def get_signing_key_from_jwt(self, token: str) -> jwt.PyJWK:
        return jwt.PyJWK.from_dict(
            {**jwt.algorithms.RSAAlgorithm.to_jwk(self.public_key, as_dict=True), "kid": "k1", "alg": "RS256"}
        )


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def verifier(signing_key: rsa.RSAPrivateKey) -> TokenVerifier:
    verifier = TokenVerifier(ISSUER, AUDIENCE, jwks_url="http://unused.test/certs")
    verifier._jwks = _Keys(signing_key)  # type: ignore[assignment]
    return verifier


def make_token(key: rsa.RSAPrivateKey, **overrides: object) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": ["xinyi-api", "account"],
        "sub": "user-1",
        "iat": now,
        "exp": now + 300,
        "preferred_username": "firm-manager",
        "realm_access": {"roles": ["firm_manager", "offline_access"]},
        "organization": ["jinhe-lvzhou"],
    }
    claims.update(overrides)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def test_a_valid_token_becomes_a_principal(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey) -> None:
    principal = verifier.verify(make_token(signing_key))
    assert principal.username == "firm-manager"
    assert principal.estates == {"jinhe-lvzhou"}
    assert principal.has_role(Role.FIRM_MANAGER)
    assert not principal.has_role(Role.PLATFORM_ADMIN)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "another-api"}, "audience"),
        ({"iss": "http://evil.test/realms/xinyi"}, "issuer"),
        ({"exp": int(time.time()) - 60, "iat": int(time.time()) - 600}, "expired"),
    ],
)
def test_tokens_for_another_audience_issuer_or_time_are_refused(
    verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey, overrides: dict[str, object], reason: str
) -> None:
    with pytest.raises(Unauthenticated) as refused:
        verifier.verify(make_token(signing_key, **overrides))
    assert reason in refused.value.reason.lower()


def test_a_token_signed_by_another_key_is_refused(verifier: TokenVerifier) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(Unauthenticated, match=r"(?i)signature"):
        verifier.verify(make_token(stranger))


def test_garbage_is_refused_with_a_reason(verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthenticated):
        TokenVerifier(ISSUER, AUDIENCE).verify("not-a-jwt")
    with pytest.raises(Unauthenticated, match="missing"):
        verifier.verify("")


@pytest.mark.parametrize(
    ("claim", "estates"),
    [
        (["a-estate", "b-estate"], {"a-estate", "b-estate"}),
        ({"a-estate": {"id": "123"}}, {"a-estate"}),
        ("a-estate", {"a-estate"}),
        (None, set()),
    ],
)
def test_both_shapes_of_the_organization_claim_are_read(claim: object, estates: set[str]) -> None:
    principal = principal_from_claims({"sub": "u", "organization": claim, "realm_access": {"roles": []}})
    assert principal.estates == estates


def test_bearer_header_parsing() -> None:
    assert bearer_token("Bearer abc.def") == "abc.def"
    for bad in (None, "", "Basic abc", "Bearer "):
        with pytest.raises(Unauthenticated):
            bearer_token(bad)


def manager_of(*estates: str) -> Principal:
    return Principal("u", "m", frozenset({Role.FIRM_MANAGER}), frozenset(estates))


def test_estate_access_needs_both_the_role_and_the_estate() -> None:
    require_estate_access(manager_of("a-estate"), "a-estate", Role.FIRM_MANAGER)
    with pytest.raises(PermissionDenied, match="not scoped"):
        require_estate_access(manager_of("b-estate"), "a-estate", Role.FIRM_MANAGER)
    with pytest.raises(PermissionDenied, match="roles"):
        require_estate_access(manager_of("a-estate"), "a-estate", Role.SUPERVISOR)


def test_services_act_for_any_estate_but_only_where_allowed() -> None:
    service = Principal("s", "service-account-ledger-service", frozenset({Role.SERVICE}), frozenset())
    require_estate_access(service, "a-estate", Role.SERVICE, Role.FIRM_MANAGER)
    with pytest.raises(PermissionDenied):
        require_estate_access(service, "a-estate", Role.FIRM_MANAGER)


def test_a_verified_token_is_answered_from_memory_until_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    import time as clock

    from xinyi_shared.auth import Principal, TokenVerifier

    verifier = TokenVerifier("http://issuer.test", "xinyi-api", jwks_url="http://unused.test/certs")
    checks: list[str] = []
    principal = Principal(subject="u-1", username="u", roles=frozenset(), estates=frozenset())

    def verify_signature(token: str) -> tuple[Principal, float]:
        checks.append(token)
        return principal, clock.time() + (60 if token == "fresh" else -1)

    monkeypatch.setattr(verifier, "_verify_signature", verify_signature)
    assert verifier.verify("fresh") is principal
    assert verifier.verify("fresh") is principal
    assert checks == ["fresh"], "the signature is checked once"
    verifier.verify("stale")
    verifier.verify("stale")
    assert checks == ["fresh", "stale", "stale"], "an expired token is checked again (and refused there)"
