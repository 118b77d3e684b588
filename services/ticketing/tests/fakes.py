"""In-memory stand-ins for ticketing's repositories, unit of work, directory, ledger and clock, for
unit tests of the use cases and in-process tests of the HTTP routes (no infrastructure)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from google.protobuf.message import Message

from ticketing_service.adapters.codec import ticket_from_json, ticket_json, transition_from_json, transition_json
from ticketing_service.adapters.directory import Membership, ProposedExpense
from ticketing_service.adapters.tickets import MaterialsRecord, Notification, StoredFile, TicketFilter
from ticketing_service.domain.targets import ServiceTargets
from ticketing_service.domain.tickets import Outcome, Ticket, Transition
from ticketing_service.service_layer.tickets import Ticketing
from xinyi_shared.blobs import FilesystemBlobStore
from xinyi_shared.errors import Conflict, NotFound

T0 = datetime(2031, 3, 14, 2, 0, tzinfo=UTC)  # 02:00 UTC


class FakeClock:
    def __init__(self, moment: datetime = T0) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment


@dataclasses.dataclass
class World:
    """Everything the fakes share: one database, as it were."""

    targets: dict[str, ServiceTargets] = dataclasses.field(default_factory=dict)
    tickets: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)  # id -> row
    history: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)
    files: dict[tuple[str, str], StoredFile] = dataclasses.field(default_factory=dict)
    materials: list[tuple[str, MaterialsRecord, str]] = dataclasses.field(default_factory=list)
    notifications: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    report_keys: dict[tuple[str, str], tuple[str, str]] = dataclasses.field(default_factory=dict)
    events: list[tuple[str, Message]] = dataclasses.field(default_factory=list)


class FakeTickets:
    def __init__(self, world: World, estate_code: str, staged: World) -> None:
        self.world = world
        self.estate = estate_code
        self.staged = staged

    def _rows(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.staged.tickets.items() if v["estate"] == self.estate}

    def add(self, outcome: Outcome, next_timer: datetime | None) -> None:
        ticket = outcome.ticket
        assert ticket.estate_code == self.estate
        if ticket.id in self.staged.tickets:
            raise Conflict("duplicate ticket")
        self.staged.tickets[ticket.id] = {"estate": self.estate, "state": ticket_json(ticket), "timer": next_timer}
        self.staged.history[ticket.id] = [transition_json(t) for t in outcome.transitions]

    def save(self, outcome: Outcome, old_version: int, next_timer: datetime | None) -> None:
        if not outcome.transitions:
            return
        row = self._rows().get(outcome.ticket.id)
        if row is None or row["state"]["version"] != old_version:
            raise Conflict("the ticket changed meanwhile: read it again and retry")
        seqs = {t["seq"] for t in self.staged.history[outcome.ticket.id]}
        for transition in outcome.transitions:
            assert transition.seq not in seqs, "history rewritten"
        row["state"] = ticket_json(outcome.ticket)
        row["timer"] = next_timer
        self.staged.history[outcome.ticket.id].extend(transition_json(t) for t in outcome.transitions)

    def get(self, ticket_id: str, *, for_update: bool = False) -> Ticket | None:
        row = self._rows().get(ticket_id)
        return None if row is None else ticket_from_json(row["state"])

    def history(self, ticket_id: str) -> list[Transition]:
        return [transition_from_json(t) for t in self.staged.history.get(ticket_id, [])]

    def listing(
        self, estate_code: str, where: TicketFilter, limit: int, before: tuple[datetime, str] | None
    ) -> list[Ticket]:
        tickets = [ticket_from_json(row["state"]) for row in self._rows().values()]
        chosen = []
        for t in tickets:
            if where.status and t.status.value != where.status:
                continue
            if where.open_only and t.status.value not in ("open", "acknowledged", "in_progress"):
                continue
            if where.category and t.category != where.category:
                continue
            if where.assignee and t.assignee != where.assignee:
                continue
            if where.restricted:
                visible = (
                    (where.households and t.household_id in where.households)
                    or (where.grids and t.grid_code in where.grids)
                    or (where.reporter is not None and t.reporter_subject == where.reporter)
                    or (where.public and t.visibility.value == "public")
                    or (
                        where.escalated_to_community
                        and (
                            any(b.level.value == "community_officer" for b in t.breaches)
                            or (t.complaint is not None and t.complaint.escalated)
                        )
                    )
                )
                if not visible:
                    continue
            if before is not None and (t.reported_at, t.id) >= before:
                continue
            chosen.append(t)
        chosen.sort(key=lambda t: (t.reported_at, t.id), reverse=True)
        return chosen[:limit]

    def of_month(self, estate_code: str, start: datetime, end: datetime) -> list[Ticket]:
        tickets = [ticket_from_json(row["state"]) for row in self._rows().values()]
        return [
            t
            for t in tickets
            if start <= t.reported_at < end
            or (
                t.complaint is not None
                and t.complaint.escalated_at is not None
                and start <= t.complaint.escalated_at < end
            )
        ]

    def all_in_estate(self, estate_code: str, limit: int, after: str | None, status: str | None) -> list[Ticket]:
        tickets = sorted(
            (ticket_from_json(row["state"]) for row in self._rows().values()), key=lambda t: (t.reported_at, t.id)
        )
        if status:
            tickets = [t for t in tickets if t.status.value == status]
        if after is not None:
            ids = [t.id for t in tickets]
            tickets = tickets[ids.index(after) + 1 :] if after in ids else []
        return tickets[:limit]

    def add_file(self, estate_code: str, stored: StoredFile, uploaded_by: str) -> None:
        self.staged.files.setdefault((estate_code, stored.sha256), stored)

    def files(self, shas: list[str]) -> dict[str, StoredFile]:
        return {sha: self.staged.files[(self.estate, sha)] for sha in shas if (self.estate, sha) in self.staged.files}

    def add_materials(self, estate_code: str, record: MaterialsRecord, request_key: str) -> None:
        self.staged.materials.append((estate_code, record, request_key))

    def materials(self, ticket_id: str) -> list[MaterialsRecord]:
        return [r for e, r, _ in self.staged.materials if e == self.estate and r.ticket_id == ticket_id]

    def materials_by_key(self, request_key: str) -> MaterialsRecord | None:
        return next((r for e, r, k in self.staged.materials if e == self.estate and k == request_key), None)

    def set_expense_status(self, expense_id: str, status: str) -> bool:
        for index, (estate, record, key) in enumerate(self.staged.materials):
            if estate == self.estate and record.expense_id == expense_id:
                self.staged.materials[index] = (estate, dataclasses.replace(record, expense_status=status), key)
                return True
        return False

    def claim_report_key(self, estate_code: str, key: str, fingerprint: str, ticket_id: str) -> str | None:
        first = self.staged.report_keys.get((estate_code, key))
        if first is None:
            self.staged.report_keys[(estate_code, key)] = (fingerprint, ticket_id)
            return None
        if first[0] != fingerprint:
            raise Conflict("this Idempotency-Key was used for another report")
        return first[1]

    def notify(self, rows: list[dict[str, Any]]) -> None:
        self.staged.notifications.extend(rows)

    def notifications_of(self, ticket_id: str) -> list[Notification]:
        return [
            Notification(i, n["estate"], n["ticket"], n["recipient_kind"], n["recipient"], n["kind"], n["message"], 0)
            for i, n in enumerate(self.staged.notifications)
            if n["ticket"] == ticket_id and n["estate"] == self.estate
        ]


class FakeTargets:
    def __init__(self, staged: World) -> None:
        self.staged = staged

    def get(self, estate_code: str) -> ServiceTargets | None:
        return self.staged.targets.get(estate_code)

    def put(self, targets: ServiceTargets) -> None:
        self.staged.targets[targets.estate_code] = targets


class FakeUnitOfWork:
    """A transaction over a copy of the world: commit swaps it in, leaving without one drops it."""

    def __init__(self, world: World, estate_code: str) -> None:
        self.world = world
        self.estate_code = estate_code
        self.committed = False

    def __enter__(self) -> FakeUnitOfWork:
        import copy

        self.staged = copy.deepcopy(self.world)
        self.staged.events = []
        self.tickets = FakeTickets(self.world, self.estate_code, self.staged)
        self.targets = FakeTargets(self.staged)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        pass

    def publish(self, message: Message) -> None:
        self.staged.events.append((self.estate_code, message))

    def commit(self) -> None:
        events = self.world.events + self.staged.events
        for field in dataclasses.fields(World):
            setattr(self.world, field.name, getattr(self.staged, field.name))
        self.world.events = events
        self.committed = True


class FakeDirectory:
    """Who is a member of which household, who leads which grid, and each household's grid."""

    def __init__(self) -> None:
        self.households: dict[tuple[str, str], str | None] = {}  # (estate, household) -> grid
        self.members: dict[tuple[str, str], set[str]] = {}  # (estate, subject) -> households
        self.leaders: dict[tuple[str, str], set[str]] = {}  # (estate, username) -> grids
        self.staff: dict[str, set[str]] = {}  # estate -> the firm's account ids

    def estate_staff(self, estate_code: str) -> frozenset[str]:
        return frozenset(self.staff.get(estate_code, set()))

    def membership(self, estate_code: str, subject: str, username: str) -> Membership:
        return Membership(
            frozenset(self.members.get((estate_code, subject), set())),
            frozenset(self.leaders.get((estate_code, username), set())),
        )

    def household_count(self, estate_code: str) -> int:
        return sum(1 for estate, _ in self.households if estate == estate_code)

    def household_grid(self, estate_code: str, household_id: str) -> str | None:
        if (estate_code, household_id) not in self.households:
            raise NotFound("no such household in this estate")
        return self.households[(estate_code, household_id)]


class FakeLedger:
    def __init__(self) -> None:
        self.vouchers: list[tuple[str, bytes, str]] = []
        self.proposals: dict[str, dict[str, Any]] = {}
        self.down = False

    def upload_voucher(self, estate_code: str, content: bytes, file_name: str, uploaded_by: str) -> str:
        if self.down:
            from xinyi_shared.errors import Unavailable

            raise Unavailable("the ledger is down")
        import hashlib

        self.vouchers.append((estate_code, content, uploaded_by))
        return hashlib.sha256(content).hexdigest()

    def propose(self, estate_code: str, key: str, **proposal: Any) -> ProposedExpense:
        if key in self.proposals:
            first = self.proposals[key]
            if {k: v for k, v in first.items() if k != "expense_id"} != {**proposal, "estate": estate_code}:
                raise Conflict("key reused")
            return ProposedExpense(first["expense_id"], "proposed", "none")
        expense_id = f"exp-{len(self.proposals) + 1}"
        self.proposals[key] = {**proposal, "estate": estate_code, "expense_id": expense_id}
        return ProposedExpense(expense_id, "proposed", "none")


def ticketing_for(
    world: World, directory: FakeDirectory, clock: FakeClock, store_dir: Any, ledger: FakeLedger | None = None
) -> Ticketing:
    return Ticketing(
        unit_of_work=lambda code: FakeUnitOfWork(world, code),  # type: ignore[arg-type,return-value]
        directory=directory,
        clock=clock,
        store=FilesystemBlobStore(store_dir),
        expenses=ledger,
    )
