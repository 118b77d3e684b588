"""Invitations to claim a household: the firm invites an owner or resident by phone or e-mail; the
holder of the code creates an account that carries the estate and the resident role."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from tenant_service.domain.households import Relation
from xinyi_shared.errors import Conflict, InvalidInput

VALIDITY = timedelta(days=14)


def hash_code(code: str) -> str:
    # Only the hash is stored, so a database reader cannot claim someone else's household.
    return hashlib.sha256(code.strip().encode()).hexdigest()


@dataclass(frozen=True)
class Invitation:
    id: uuid.UUID
    estate_code: str
    household_id: uuid.UUID
    relation: Relation
    contact: str
    code_hash: str
    status: str
    expires_at: datetime

    @classmethod
    def issue(
        cls, estate_code: str, household_id: uuid.UUID, relation: Relation, contact: str, now: datetime
    ) -> tuple[Invitation, str]:
        """A new invitation and its claim code (shown once, to be sent to the invitee)."""
        code = secrets.token_urlsafe(12)
        invitation = cls(
            id=uuid.uuid4(),
            estate_code=estate_code,
            household_id=household_id,
            relation=relation,
            contact=contact,
            code_hash=hash_code(code),
            status="pending",
            expires_at=now + VALIDITY,
        )
        return invitation, code

    def check_claimable(self, now: datetime) -> None:
        if self.status == "claimed":
            raise Conflict("this invitation was already claimed")
        if self.status != "pending":
            raise Conflict("this invitation was revoked")
        if now >= self.expires_at:
            raise Conflict("this invitation has expired; ask the property firm for a new one")


def validate_username(username: str) -> str:
    cleaned = username.strip().lower()
    if not 3 <= len(cleaned) <= 64 or not all(c.isalnum() or c in "-_." for c in cleaned):
        raise InvalidInput("username must be 3-64 letters, digits, '-', '_' or '.'")
    return cleaned
