"""Keycloak as the estates' identity directory: one Organization per estate (alias = estate code)."""

from __future__ import annotations

from keycloak import KeycloakAdmin, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakConnectionError, KeycloakError

from xinyi_shared.errors import NotFound, Unavailable
from xinyi_shared.settings import ServiceSettings


class KeycloakDirectory:
    def __init__(self, settings: ServiceSettings) -> None:
        self._connection = KeycloakOpenIDConnection(
            server_url=settings.keycloak_url,
            realm_name=settings.keycloak_realm,
            user_realm_name=settings.keycloak_realm,
            client_id=settings.client_id,
            client_secret_key=settings.client_secret.get_secret_value(),
            timeout=10,
        )
        self._admin: KeycloakAdmin | None = None

    @property
    def admin(self) -> KeycloakAdmin:
        if self._admin is None:
            self._admin = KeycloakAdmin(connection=self._connection)
        return self._admin

    def ensure_organization(self, estate_code: str, name: str) -> str:
        """The estate's organisation id, creating it when missing (safe to repeat)."""
        try:
            existing = self._find_organization(estate_code)
            if existing is not None:
                return existing
            created = self.admin.create_organization(
                {
                    # The admin API searches organisations by name, not alias: both are the estate code.
                    "name": estate_code,
                    "alias": estate_code,
                    "enabled": True,
                    "description": name,
                }
            )
            return created or self._require_organization(estate_code)
        except KeycloakConnectionError as error:
            raise Unavailable("the identity provider is unreachable; retry the request") from error
        except KeycloakError as error:
            # A concurrent retry may have created it between our look-up and create.
            found = self._find_organization(estate_code)
            if found is not None:
                return found
            raise Unavailable(f"the identity provider refused to create the organisation: {error}") from error

    def add_member(self, organization_id: str, username: str) -> None:
        try:
            user_id = self.admin.get_user_id(username)
            if user_id is None:
                raise NotFound(f"no user {username!r} in the identity provider")
            members = self.admin.get_organization_members(organization_id, {"search": username, "exact": True})
            if any(member.get("id") == user_id for member in members):
                return
            self.admin.organization_user_add(user_id, organization_id)
        except KeycloakConnectionError as error:
            raise Unavailable("the identity provider is unreachable; retry the request") from error
        except KeycloakError as error:
            raise Unavailable(f"the identity provider refused the membership: {error}") from error

    def _find_organization(self, estate_code: str) -> str | None:
        for organization in self.admin.get_organizations({"search": estate_code, "exact": True}):
            if organization.get("alias") == estate_code:
                return str(organization["id"])
        return None

    def _require_organization(self, estate_code: str) -> str:
        found = self._find_organization(estate_code)
        if found is None:
            raise Unavailable(f"organisation {estate_code!r} was not found after creation")
        return found
