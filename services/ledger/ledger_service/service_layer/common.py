"""What the ledger's use cases share: checks of requests, the estate's state, and its rules."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Protocol

from ledger_service.adapters.journal import JournalRepository
from ledger_service.adapters.tenant_client import BillableHousehold, PeriodRules, period_rules
from ledger_service.domain.postings import MAX_ENTRY_FEN, check_period
from ledger_service.domain.views import EstateContext, Posted
from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from xinyi.tenant.v1 import tenant_pb2
from xinyi_shared.errors import Conflict, InvalidInput, NotFound, XinyiError

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{7,127}$")

UnitOfWorkFactory = Callable[[str], LedgerUnitOfWork]


class Registry(Protocol):
    """The tenant service, as money needs it (only when the ledger's own mirror lacks a fact)."""

    def rules_message(self, estate_code: str, day: date) -> tenant_pb2.EstateRules: ...

    def rules_on(self, estate_code: str, day: date) -> PeriodRules: ...

    def household(self, estate_code: str, household_id: str) -> BillableHousehold: ...


def check_key(key: str | None) -> str:
    if not key or not IDEMPOTENCY_KEY.match(key):
        raise InvalidInput("an Idempotency-Key of 8-128 letters, digits, '_', '.', ':' or '-' is required")
    return key


def check_amount(name: str, amount_fen: object) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise InvalidInput(f"{name} must be a whole number of fen")
    if not 0 < amount_fen <= MAX_ENTRY_FEN:
        raise InvalidInput(f"{name} must be between 1 and {MAX_ENTRY_FEN} fen")
    return amount_fen


def period_start(period: str) -> date:
    check_period(period)
    return date(int(period[:4]), int(period[5:]), 1)


def months(first: str, last: str) -> list[str]:
    """Every month from ``first`` through ``last`` (both YYYY-MM), in order."""
    year, month = int(first[:4]), int(first[5:])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def books_of(context: EstateContext | None, estate_code: str) -> EstateContext:
    if context is None:
        raise NotFound(f"no trust books for estate {estate_code!r}")
    return context


def writable(context: EstateContext | None, estate_code: str) -> EstateContext:
    context = books_of(context, estate_code)
    if context.status != "active":
        raise Conflict(f"the books of estate {estate_code!r} are {context.status}: read-only")
    return context


def readable_period(context: EstateContext, period: str) -> str:
    """A period that exists in these books: 404 before their first month or after the current one."""
    check_period(period)
    if not context.readable_period(period):
        raise NotFound(
            f"no period {period} in these books: they run from {context.first_period} to {context.current_period}"
        )
    return period


class HasJournal(Protocol):
    @property
    def journal(self) -> JournalRepository: ...


def posting_period(uow: HasJournal, context: EstateContext, wanted: str, households: Sequence[str] = ()) -> str:
    """Where an entry dated in ``wanted`` is posted, held open until commit: that period while it
    is open, else (a late correction of a closed month) the current month."""
    current = context.current_period
    if wanted > current:
        raise InvalidInput(f"period {wanted} has not started yet")
    if wanted < context.first_period:
        raise InvalidInput(f"these books begin in {context.first_period}")
    if uow.journal.hold_period(wanted, households=households) == "open":
        return wanted
    if wanted != current and uow.journal.hold_period(current) == "open":
        return current
    raise Conflict(f"period {wanted} is closed and so is the current period {current}")


def rules_in_force(uow: LedgerUnitOfWork, registry: Registry, day: date, *, learn: bool = True) -> PeriodRules:
    """The rules in force on ``day`` from the ledger's mirror; asked of the tenant service (and
    learned, when ``learn``) only for books opened before the mirror kept every change."""
    rules = uow.rules.in_force(day)
    if rules is not None:
        return rules
    message = registry.rules_message(uow.estate_code, day)
    if learn:
        uow.rules.record(message, source="grpc:GetEstateRules")
    return period_rules(message)


def replay_posted(
    earlier: tuple[str, dict[str, Any] | None] | None, fingerprint: str
) -> tuple[Posted, bool] | XinyiError:
    """A batch item whose key was claimed before: its first answer, or why it cannot be replayed
    (``earlier`` is the key's stored request fingerprint and answer, None when the key is unknown)."""
    if earlier is None or earlier[1] is None:
        return Conflict("this idempotency key is being used by a request still in progress")
    if earlier[0] != fingerprint:
        return Conflict("this idempotency key was already used for a different request")
    return Posted(**earlier[1]), True
