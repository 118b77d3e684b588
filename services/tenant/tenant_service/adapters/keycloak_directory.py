"""Keycloak as the estates' identity directory: one Organization per estate (alias = estate code)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from keycloak import KeycloakAdmin, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakConnectionError, KeycloakError, KeycloakGetError, KeycloakPostError

from tenant_service.domain.estate import StaffAccount
from xinyi_shared.errors import Conflict, InvalidInput, NotFound, Unavailable
from xinyi_shared.settings import ServiceSettings


@contextmanager
def _translated(action: str) -> Iterator[None]:
    try:
        yield
    except KeycloakConnectionError as error:
        raise Unavailable("the identity provider is unreachable; retry the request") from error
    except KeycloakError as error:
        if getattr(error, "response_code", None) == 409:
            raise Conflict(f"the identity provider refused to {action}: already exists") from error
        if getattr(error, "response_code", None) == 400:
            raise InvalidInput(f"the identity provider refused to {action}: {_message(error)}") from error
        raise Unavailable(f"the identity provider failed to {action}") from error


def _display_name(user: dict[str, object]) -> str:
    # Chinese names read family name first.
    name = f"{user.get('lastName') or ''}{user.get('firstName') or ''}".strip()
    return name or str(user.get("username", ""))


def _message(error: KeycloakError) -> str:
    body = getattr(error, "response_body", b"") or b""
    return body.decode(errors="replace")[:200] if isinstance(body, bytes) else str(body)[:200]


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
        except KeycloakPostError as error:
            # A concurrent retry may have created it between our look-up and create.
            found = self._find_organization(estate_code)
            if found is not None:
                return found
            raise Unavailable(f"the identity provider refused to create the organisation: {error}") from error

    def add_member(self, organization_id: str, username: str) -> None:
        with _translated("add the member"):
            user_id = self.admin.get_user_id(username)
            if user_id is None:
                raise NotFound(f"no user {username!r} in the identity provider")
            self.add_member_id(organization_id, user_id)

    def add_member_id(self, organization_id: str, user_id: str) -> None:
        with _translated("add the member"):
            organizations = self.admin.get_user_organizations(user_id)
            if any(org.get("id") == organization_id for org in organizations):
                return
            self.admin.organization_user_add(user_id, organization_id)

    def ensure_user(
        self, username: str, email: str, first_name: str, last_name: str, role: str
    ) -> tuple[str, str | None]:
        """The account ``username`` with ``role``, created when missing with a temporary password
        (returned only then; Keycloak makes the person change it at first login)."""
        with _translated("create the account"):
            user_id = self.admin.get_user_id(username)
            password = None
            if user_id is None:
                password = secrets.token_urlsafe(12)
                user_id = self.admin.create_user(
                    {
                        "username": username,
                        "email": email,
                        "firstName": first_name,
                        "lastName": last_name,
                        "enabled": True,
                        "emailVerified": True,
                        "credentials": [{"type": "password", "value": password, "temporary": True}],
                    },
                    exist_ok=True,
                )
            self._grant_role(user_id, role)
            return user_id, password

    def create_user(self, username: str, email: str, first_name: str, last_name: str, password: str, role: str) -> str:
        """A new account with a password its owner chose; Conflict when the username is taken."""
        with _translated("create the account"):
            if self.admin.get_user_id(username) is not None:
                raise Conflict(f"username {username!r} is taken")
            user_id = self.admin.create_user(
                {
                    "username": username,
                    "email": email,
                    "firstName": first_name,
                    "lastName": last_name,
                    "enabled": True,
                    "emailVerified": bool(email),
                    "credentials": [{"type": "password", "value": password, "temporary": False}],
                }
            )
            self._grant_role(user_id, role)
            return str(user_id)

    def delete_user(self, user_id: str) -> None:
        with _translated("delete the account"):
            self.admin.delete_user(user_id)

    def _grant_role(self, user_id: str, role: str) -> None:
        assigned = {r["name"] for r in self.admin.get_realm_roles_of_user(user_id)}
        if role not in assigned:
            self.admin.assign_realm_roles(user_id, [self.admin.get_realm_role(role)])

    def remove_organization(self, organization_id: str) -> int:
        """Deletes the organisation and the accounts that belonged to it alone; returns how many."""
        removed = 0
        with _translated("remove the organisation"):
            try:
                members = self.admin.get_organization_members(organization_id)
            except KeycloakGetError as error:
                if error.response_code == 404:
                    return 0
                raise
            for member in members:
                user_id = member["id"]
                organizations = self.admin.get_user_organizations(user_id)
                roles = {r["name"] for r in self.admin.get_realm_roles_of_user(user_id)}
                if {org.get("id") for org in organizations} == {organization_id} and "platform_admin" not in roles:
                    self.admin.delete_user(user_id)
                    removed += 1
            self.admin.delete_organization(organization_id)
        return removed

    def organization_accounts_with_roles(self, organization_id: str, roles: tuple[str, ...]) -> list[StaffAccount]:
        """The enabled members of the organisation holding any of ``roles`` (realm roles).

        Keycloak filters neither listing by the other, so both are read (a page of 100 at a time)
        and crossed here: the holders of the roles (the district's firms, a few thousand accounts at
        most) and the organisation's members (its residents too)."""
        with _translated("list the estate's accounts"):
            held: dict[str, list[str]] = {}
            for role in roles:
                for user in self.admin.get_realm_role_members(role, {"briefRepresentation": True}):
                    held.setdefault(str(user["id"]), []).append(role)
            if not held:
                return []
            try:
                members = self.admin.get_organization_members(organization_id, {"briefRepresentation": True})
            except KeycloakGetError as error:
                if error.response_code == 404:
                    return []
                raise
        return [
            StaffAccount(
                account_id=str(member["id"]),
                username=str(member.get("username", "")),
                display_name=_display_name(member),
                roles=tuple(held[str(member["id"])]),
            )
            for member in members
            if str(member["id"]) in held and member.get("enabled", True)
        ]

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
