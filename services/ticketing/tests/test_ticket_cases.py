"""Ticketing's use cases with in-memory fakes (tests/fakes.py): the report at 02:00 through its
confirmation, what each person sees, photos checked from their bytes, idempotent reports, materials
proposed to the ledger once, events free of personal data, notifications to the right people."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from services.ticketing.tests.fakes import T0, FakeClock, FakeDirectory, FakeLedger, World, ticketing_for
from ticketing_service.domain import lifecycle
from ticketing_service.domain.materials import MaterialLine, MaterialPurchase
from ticketing_service.domain.satisfaction import Rating
from ticketing_service.domain.targets import ServiceTargets
from ticketing_service.domain.tickets import Access, Status
from ticketing_service.service_layer import tickets as cases
from ticketing_service.service_layer.tickets import Caller, ReportRequest, Ticketing
from xinyi.ticketing.v1 import events_pb2
from xinyi_shared.auth import Principal
from xinyi_shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied

ESTATE = "jinhe-lvzhou"
OTHER = "xingfu-li"
HOUSEHOLD = "h-1502"
NEIGHBOUR_HOUSEHOLD = "h-0901"


def png(seed: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", seed, 1, 8, 0, 0, 0, 0)) + chunk(b"IEND", b"")


def person(subject: str, *roles: str, estate: str = ESTATE) -> Principal:
    return Principal(subject, subject, frozenset(roles), frozenset({estate}))


RESIDENT = person("resident-1", "resident")
HOUSEMATE = person("resident-2", "resident")
NEIGHBOUR = person("neighbour-1", "resident")
GRID_LEADER = person("leader-1", "grid_leader")
OTHER_LEADER = person("leader-2", "grid_leader")
STAFF = person("staff-1", "firm_staff")
OTHER_STAFF = person("staff-2", "firm_staff")
MANAGER = person("manager-1", "firm_manager")
SUPERVISOR = person("supervisor-1", "supervisor")
OFFICER = person("officer-1", "community_officer")
LEADER_AND_RESIDENT = person("leader-3", "grid_leader", "resident")


@pytest.fixture
def world() -> World:
    world = World()
    world.targets[ESTATE] = ServiceTargets(ESTATE, "Asia/Shanghai")
    world.targets[OTHER] = ServiceTargets(OTHER, "Asia/Shanghai")
    return world


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture
def ticketing(world: World, clock: FakeClock, ledger: FakeLedger, tmp_path: Path) -> Ticketing:
    directory = FakeDirectory()
    directory.households[(ESTATE, HOUSEHOLD)] = "g-3"
    directory.households[(ESTATE, NEIGHBOUR_HOUSEHOLD)] = "g-4"
    directory.households[(ESTATE, "h-0101")] = "g-9"
    directory.members[(ESTATE, "resident-1")] = {HOUSEHOLD}
    directory.members[(ESTATE, "resident-2")] = {HOUSEHOLD}
    directory.members[(ESTATE, "neighbour-1")] = {NEIGHBOUR_HOUSEHOLD}
    directory.members[(ESTATE, "leader-3")] = {"h-0101"}
    directory.leaders[(ESTATE, "leader-1")] = {"g-3"}
    directory.leaders[(ESTATE, "leader-2")] = {"g-4"}
    directory.leaders[(ESTATE, "leader-3")] = {"g-9"}
    directory.staff[ESTATE] = {"staff-1", "staff-2", "manager-1"}
    directory.staff[OTHER] = {"staff-9"}
    return ticketing_for(world, directory, clock, tmp_path / "blobs", ledger)


def who(ticketing: Ticketing, principal: Principal, estate: str = ESTATE) -> Caller:
    return cases.caller(ticketing, estate, principal)


def light(**changes: object) -> ReportRequest:
    fields: dict[str, object] = {
        "category": "lighting",
        "urgency": "urgent",
        "description": "3栋2单元5楼楼道灯不亮，漆黑一片",
        "household_id": HOUSEHOLD,
        "area": "3栋2单元5楼楼道",
    }
    fields.update(changes)
    return ReportRequest(**fields)  # type: ignore[arg-type]


def events(world: World, kind: type) -> list:  # type: ignore[type-arg]
    return [message for _, message in world.events if isinstance(message, kind)]


def test_the_stair_light_at_two_in_the_night_measured_to_the_second(
    ticketing: Ticketing, world: World, clock: FakeClock
) -> None:
    ticket, replayed = cases.report_ticket(ticketing, who(ticketing, RESIDENT), light())
    assert not replayed and ticket.reported_at == T0 and ticket.grid_code == "g-3"
    clock.advance(minutes=7, seconds=13)
    cases.take_step(ticketing, who(ticketing, STAFF), ticket.id, lambda t, a, now: lifecycle.acknowledge(t, a, now))
    clock.advance(minutes=33, seconds=52)
    cases.take_step(
        ticketing, who(ticketing, STAFF), ticket.id, lambda t, a, now: lifecycle.resolve(t, a, "换了LED灯泡", now)
    )
    clock.advance(minutes=3)
    done = cases.take_step(
        ticketing,
        who(ticketing, HOUSEMATE),
        ticket.id,
        lambda t, a, now: lifecycle.confirm(t, a, Rating(5, "半夜也修好了"), now),
    )
    assert done.status is Status.CONFIRMED and done.rating == Rating(5, "半夜也修好了")
    [resolved] = [e for e in events(world, events_pb2.TicketTransitioned) if e.action == "resolve"]
    assert resolved.figures.first_response_seconds == 7 * 60 + 13
    assert resolved.figures.resolution_seconds == 41 * 60 + 5
    assert resolved.figures.first_response_met and resolved.figures.resolution_met
    [rated] = events(world, events_pb2.TicketRated)
    assert rated.score == 5
    [reported] = events(world, events_pb2.TicketReported)
    assert reported.grid_code == "g-3" and reported.common_area and reported.reporter_kind == "resident"


def test_events_carry_no_personal_data(ticketing: Ticketing, world: World, clock: FakeClock) -> None:
    ticket, _ = cases.report_ticket(ticketing, who(ticketing, RESIDENT), light())
    clock.advance(minutes=1)
    cases.take_step(ticketing, who(ticketing, STAFF), ticket.id, lambda t, a, now: lifecycle.acknowledge(t, a, now))
    clock.advance(minutes=1)
    cases.take_step(
        ticketing, who(ticketing, STAFF), ticket.id, lambda t, a, now: lifecycle.resolve(t, a, "换了灯泡", now)
    )
    clock.advance(minutes=1)
    cases.take_step(
        ticketing,
        who(ticketing, RESIDENT),
        ticket.id,
        lambda t, a, now: lifecycle.confirm(t, a, Rating(2, "秘密"), now),
    )
    serialized = b"".join(message.SerializeToString() for _, message in world.events)
    for private in (HOUSEHOLD, "resident-1", "staff-1", "楼道灯不亮".encode(), "换了灯泡".encode(), "秘密".encode()):
        assert (private if isinstance(private, bytes) else private.encode()) not in serialized


def test_the_report_reaches_the_grid_and_the_firm_and_each_step_the_reporter_and_the_assignee(
    ticketing: Ticketing, world: World, clock: FakeClock
) -> None:
    ticket, _ = cases.report_ticket(ticketing, who(ticketing, RESIDENT), light())
    first = [(n["recipient_kind"], n["recipient"]) for n in world.notifications]
    assert first == [("grid", "g-3"), ("firm_queue", "lighting")]
    clock.advance(minutes=2)
    cases.take_step(
        ticketing, who(ticketing, MANAGER), ticket.id, lambda t, a, now: lifecycle.assign(t, a, "staff-1", now)
    )
    assigned = [(n["recipient_kind"], n["recipient"]) for n in world.notifications[2:]]
    assert sorted(assigned) == [("person", "resident-1"), ("person", "staff-1")]
    clock.advance(minutes=2)
    cases.take_step(ticketing, who(ticketing, STAFF), ticket.id, lambda t, a, now: lifecycle.start(t, a, now))
    started = [(n["recipient_kind"], n["recipient"]) for n in world.notifications[4:]]
    assert started == [("person", "resident-1")]  # not the staff member who took the step
    assert all("楼道灯" not in n["message"]["text"] for n in world.notifications)


def test_a_resident_reports_only_for_its_own_household_and_nothing_is_stored(
    ticketing: Ticketing, world: World
) -> None:
    with pytest.raises(PermissionDenied):
        cases.report_ticket(ticketing, who(ticketing, NEIGHBOUR), light())
    with pytest.raises(NotFound):
        cases.report_ticket(ticketing, who(ticketing, RESIDENT), light(household_id="h-nowhere"))
    with pytest.raises(PermissionDenied):
        cases.report_ticket(ticketing, who(ticketing, SUPERVISOR), light())
    assert world.tickets == {} and world.events == [] and world.notifications == []


def test_who_sees_a_private_ticket(ticketing: Ticketing) -> None:
    ticket, _ = cases.report_ticket(ticketing, who(ticketing, RESIDENT), light())
    for viewer, level in (
        (RESIDENT, Access.REQUESTER),
        (HOUSEMATE, Access.REQUESTER),
        (GRID_LEADER, Access.REQUESTER),
        (STAFF, Access.STAFF),
        (MANAGER, Access.STAFF),
    ):
        assert cases.view_ticket(ticketing, who(ticketing, viewer), ticket.id).level is level
    for viewer in (NEIGHBOUR, OTHER_LEADER, SUPERVISOR, OFFICER):
        with pytest.raises(NotFound):
            cases.view_ticket(ticketing, who(ticketing, viewer), ticket.id)
        assert cases.list_tickets(ticketing, who(ticketing, viewer), cases.ListRequest()) == []
    with pytest.raises(NotFound):  # another estate's person, whatever its role
        cases.view_ticket(
            ticketing, who(ticketing, person("manager-9", "firm_manager", estate=OTHER), OTHER), ticket.id
        )


def test_a_public_ticket_is_the_estates_in_its_public_form(ticketing: Ticketing, clock: FakeClock) -> None:
    ticket, _ = cases.report_ticket(ticketing, who(ticketing, RESIDENT), light(visibility="public"))
    clock.advance(minutes=1)
    cases.take_step(
        ticketing,
        who(ticketing, STAFF),
        ticket.id,
        lambda t, a, now: lifecycle.add_note(t, a, "住户电话 138…", now, internal=True),
    )
    shown = cases.view_ticket(ticketing, who(ticketing, NEIGHBOUR), ticket.id)
    assert shown.level is Access.PUBLIC
    assert [t.action.value for t in shown.history] == ["report"]  # no internal note
    [(listed, level)] = cases.list_tickets(ticketing, who(ticketing, NEIGHBOUR), cases.ListRequest())
    assert listed.id == ticket.id and level is Access.PUBLIC
    requester = cases.view_ticket(ticketing, who(ticketing, RESIDENT), ticket.id)
    assert [t.action.value for t in requester.history] == ["report"]
    staff = cases.view_ticket(ticketing, who(ticketing, STAFF), ticket.id)
    assert [t.action.value for t in staff.history] == ["report", "note"]


def test_a_person_with_two_roles_acts_in_the_one_that_may(ticketing: Ticketing, clock: FakeClock) -> None:
    caller = who(ticketing, LEADER_AND_RESIDENT)
    ticket, _ = cases.report_ticket(ticketing, caller, light(household_id="h-0101", area=None))
    assert ticket.reporter_kind.value == "resident"
    clock.advance(minutes=5)
    cases.take_step(ticketing, who(ticketing, MANAGER), ticket.id, lambda t, a, now: lifecycle.resolve(t, a, "ok", now))
    clock.advance(minutes=5)
    done = cases.take_step(ticketing, caller, ticket.id, lambda t, a, now: lifecycle.confirm(t, a, Rating(4), now))
    assert done.status is Status.CONFIRMED


def test_a_retried_report_opens_one_ticket(ticketing: Ticketing, world: World) -> None:
    caller = who(ticketing, RESIDENT)
    first, replayed = cases.report_ticket(ticketing, caller, light(), key="phone-retry-0001")
    again, replayed_again = cases.report_ticket(ticketing, caller, light(), key="phone-retry-0001")
    assert (replayed, replayed_again) == (False, True) and again.id == first.id
    assert len(world.tickets) == 1 and len(events(world, events_pb2.TicketReported)) == 1
    with pytest.raises(Conflict):
        cases.report_ticket(ticketing, caller, light(description="another"), key="phone-retry-0001")


def test_photos_are_checked_from_their_bytes_and_refusals_store_nothing(
    ticketing: Ticketing, world: World, tmp_path: Path
) -> None:
    caller = who(ticketing, RESIDENT)
    for data, name in (
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "photo.jpg"),  # a PDF is no photo
        (b"just some text, not an image", "photo.png"),
        (b"MZ\x90\x00" + b"\x00" * 60, "photo.png"),  # a program
    ):
        with pytest.raises(InvalidInput):
            cases.upload_file(ticketing, caller, data, name, "photo")
    ticketing.photo_max_bytes = 64
    with pytest.raises(InvalidInput):
        cases.upload_file(ticketing, caller, png() + b"\x00" * 100, "big.png", "photo")
    assert world.files == {}
    assert not any(p.is_file() for p in (tmp_path / "blobs").rglob("*"))
    ticketing.photo_max_bytes = 10 * 1024 * 1024
    stored = cases.upload_file(ticketing, caller, png(), "light.png", "photo")
    assert stored.media_type == "image/png" and stored.size == len(png())
    ticket, _ = cases.report_ticket(ticketing, caller, light(photos=(stored.sha256,)))
    assert ticket.photos == (stored.sha256,)
    with pytest.raises(InvalidInput):  # never uploaded
        cases.report_ticket(ticketing, caller, light(photos=("ab" * 32,)))
    data = cases.ticket_file(ticketing, who(ticketing, STAFF), ticket.id, stored.sha256)[1]
    assert data == png()
    with pytest.raises(NotFound):
        cases.ticket_file(ticketing, who(ticketing, NEIGHBOUR), ticket.id, stored.sha256)


def test_receipts_are_the_firms(ticketing: Ticketing) -> None:
    with pytest.raises(PermissionDenied):
        cases.upload_file(ticketing, who(ticketing, RESIDENT), png(), "receipt.png", "receipt")
    assert cases.upload_file(ticketing, who(ticketing, STAFF), png(2), "receipt.png", "receipt").purpose == "receipt"


def purchase(receipt: str) -> MaterialPurchase:
    return MaterialPurchase("五金店", (MaterialLine("LED灯泡", 2, 1250),), "5600", (receipt,))


def test_materials_become_one_expense_proposal_linked_both_ways(
    ticketing: Ticketing, world: World, ledger: FakeLedger
) -> None:
    ticket, _ = cases.report_ticket(ticketing, who(ticketing, RESIDENT), light())
    staff = who(ticketing, STAFF)
    receipt = cases.upload_file(ticketing, staff, png(7), "receipt.png", "receipt").sha256
    with pytest.raises(PermissionDenied):
        cases.record_materials(ticketing, who(ticketing, RESIDENT), ticket.id, purchase(receipt), "mat-key-0001")
    assert ledger.proposals == {} and ledger.vouchers == []
    changed, record, replayed = cases.record_materials(ticketing, staff, ticket.id, purchase(receipt), "mat-key-0001")
    assert not replayed and changed.materials_fen == 2500
    [(key, proposal)] = ledger.proposals.items()
    assert proposal["ticket_id"] == ticket.id and proposal["amount_fen"] == 2500 and proposal["account"] == "5600"
    assert proposal["proposed_by"] == "staff-1" and key.startswith("ticket-materials:") and len(key) <= 128
    assert record.expense_id == proposal["expense_id"]
    assert [m.expense_id for m in cases.view_ticket(ticketing, staff, ticket.id).materials] == [record.expense_id]
    [recorded] = events(world, events_pb2.MaterialsRecorded)
    assert recorded.expense_id == record.expense_id and recorded.amount_fen == 2500
    # A retry proposes nothing new.
    _, again, replayed = cases.record_materials(ticketing, staff, ticket.id, purchase(receipt), "mat-key-0001")
    assert replayed and again == record and len(ledger.proposals) == 1
    # The ledger's decision reaches the ticket.
    uow = ticketing.unit_of_work(ESTATE)
    with uow:
        assert cases.expense_moved(uow, record.expense_id, "approved")
        uow.commit()
    assert cases.view_ticket(ticketing, staff, ticket.id).materials[0].expense_status == "approved"


def test_a_ledger_outage_records_no_materials(ticketing: Ticketing, world: World, ledger: FakeLedger) -> None:
    ticket, _ = cases.report_ticket(ticketing, who(ticketing, RESIDENT), light())
    staff = who(ticketing, STAFF)
    receipt = cases.upload_file(ticketing, staff, png(8), "receipt.png", "receipt").sha256
    ledger.down = True
    with pytest.raises(Exception, match="down"):
        cases.record_materials(ticketing, staff, ticket.id, purchase(receipt), "mat-key-0002")
    assert world.materials == [] and cases.view_ticket(ticketing, staff, ticket.id).ticket.materials_fen == 0
    ledger.down = False
    _, record, _ = cases.record_materials(ticketing, staff, ticket.id, purchase(receipt), "mat-key-0002")
    assert len(ledger.proposals) == 1 and record.amount_fen == 2500


def test_staff_work_only_their_tickets(ticketing: Ticketing, clock: FakeClock) -> None:
    ticket, _ = cases.report_ticket(ticketing, who(ticketing, RESIDENT), light())
    cases.take_step(
        ticketing, who(ticketing, MANAGER), ticket.id, lambda t, a, now: lifecycle.assign(t, a, "staff-1", now)
    )
    with pytest.raises(PermissionDenied):
        cases.take_step(
            ticketing, who(ticketing, OTHER_STAFF), ticket.id, lambda t, a, now: lifecycle.acknowledge(t, a, now)
        )


def test_the_firm_lists_every_ticket_and_residents_their_own(ticketing: Ticketing) -> None:
    mine, _ = cases.report_ticket(ticketing, who(ticketing, RESIDENT), light())
    theirs, _ = cases.report_ticket(
        ticketing, who(ticketing, NEIGHBOUR), light(household_id=NEIGHBOUR_HOUSEHOLD, area=None)
    )
    firm = {t.id for t, _ in cases.list_tickets(ticketing, who(ticketing, STAFF), cases.ListRequest())}
    assert firm == {mine.id, theirs.id}
    own = {t.id for t, _ in cases.list_tickets(ticketing, who(ticketing, HOUSEMATE), cases.ListRequest())}
    assert own == {mine.id}
    grid = {t.id for t, _ in cases.list_tickets(ticketing, who(ticketing, OTHER_LEADER), cases.ListRequest())}
    assert grid == {theirs.id}


def test_targets_set_by_the_supervisor_apply_to_new_tickets_only(ticketing: Ticketing, clock: FakeClock) -> None:
    before, _ = cases.report_ticket(ticketing, who(ticketing, RESIDENT), light())
    cases.set_targets(ticketing, ESTATE, lambda current: ServiceTargets(ESTATE, current.time_zone, 10, 120))
    after, _ = cases.report_ticket(ticketing, who(ticketing, RESIDENT), light(description="again"))
    assert before.terms.first_response_minutes == 30 and after.terms.first_response_minutes == 10


def test_a_resident_of_one_household_need_not_name_it(ticketing: Ticketing) -> None:
    ticket, _ = cases.report_ticket(ticketing, who(ticketing, RESIDENT), light(household_id=None))
    assert ticket.household_id == HOUSEHOLD and ticket.grid_code == "g-3"
    with pytest.raises(InvalidInput):  # a grid leader (here also a resident) says which household or area
        cases.report_ticket(ticketing, who(ticketing, LEADER_AND_RESIDENT), light(household_id=None, area=None))


def test_a_ticket_is_assigned_only_to_an_account_of_the_estates_firm(ticketing: Ticketing, world: World) -> None:
    ticket, _ = cases.report_ticket(ticketing, who(ticketing, RESIDENT), light())
    for outsider in ("resident-1", "staff-9", "no-such-account"):  # a resident; another estate's staff; garbage
        with pytest.raises(InvalidInput, match="not an account of this estate's firm"):
            cases.assign_ticket(ticketing, who(ticketing, MANAGER), ticket.id, outsider)
    assert world.tickets[ticket.id]["state"]["assignee"] is None
    assigned = cases.assign_ticket(ticketing, who(ticketing, MANAGER), ticket.id, "staff-2", "你去看看")
    assert assigned.assignee == "staff-2" and world.tickets[ticket.id]["state"]["assignee"] == "staff-2"


def test_assigning_a_ticket_the_caller_cannot_see_is_404_before_the_staff_check(ticketing: Ticketing) -> None:
    with pytest.raises(NotFound):
        cases.assign_ticket(ticketing, who(ticketing, MANAGER), "no-such-ticket", "no-such-account")
