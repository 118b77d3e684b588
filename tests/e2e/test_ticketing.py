"""Ticketing end to end, against real PostgreSQL, Kafka, Keycloak, the tenant and ledger services and
the blob store — with time held by the test.

Two extra replicas of the ticketing service are started here (beside the platform's own), sharing
its database and Kafka topic, with their clock read from a file the test writes
(``XINYI_CLOCK_FILE``, see xinyi_shared.clock): a resident reports a broken stair light at 02:00
(Asia/Shanghai), and the test moves time to the acknowledgement, the fix and the confirmation, and
past the targets, without waiting an hour. The moments are in 2031, so the platform's own replica,
on the real clock, never finds them due: every timer of these tickets is fired by the two replicas.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import onboard
from tests.harness import (
    PORTS,
    REPO_DIR,
    bearer,
    claim_member,
    connect,
    eventually,
    http_url,
    read_events,
    unique_code,
)
from xinyi.ticketing.v1 import events_pb2
from xinyi_shared.clock import FileClock
from xinyi_shared.kafka_topics import TICKETING_EVENTS

pytestmark = pytest.mark.e2e

SHANGHAI_TWO_AM = datetime(2031, 3, 14, 2, 0, tzinfo=UTC) - timedelta(hours=8)  # 02:00 at UTC+8
PHOTO_LIMIT = 10 * 1024 * 1024


def png(seed: int = 1, padding: int = 0) -> bytes:
    """A valid PNG (signature, IHDR, an optional private ancillary chunk of padding, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", seed, 1, 8, 0, 0, 0, 0))
    extra = chunk(b"prVt", b"\x00" * padding) if padding else b""
    return b"\x89PNG\r\n\x1a\n" + header + extra + chunk(b"IEND", b"")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def subject_of(token: str) -> str:
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


@dataclass
class Replica:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Clock:
    path: Path

    def set(self, moment: datetime) -> None:
        FileClock.set(self.path, moment)


def _start_replica(clock_file: Path, logs: Path, index: int) -> Replica:
    http_port, grpc_port = free_port(), free_port()
    backend = os.environ.get("XINYI_SERVICES_BLOB_BACKEND", "filesystem")
    env = {
        **os.environ,
        "XINYI_HTTP_PORT": str(http_port),
        "XINYI_GRPC_PORT": str(grpc_port),
        "XINYI_DB_PORT": str(PORTS["POSTGRES_PORT"]),
        "XINYI_KAFKA_BOOTSTRAP": f"127.0.0.1:{PORTS['KAFKA_PORT']}",
        "XINYI_KEYCLOAK_URL": f"http://127.0.0.1:{PORTS['KEYCLOAK_PORT']}",
        "XINYI_TENANT_GRPC_TARGET": f"127.0.0.1:{PORTS['TENANT_GRPC_PORT']}",
        "XINYI_LEDGER_GRPC_TARGET": f"127.0.0.1:{PORTS['LEDGER_GRPC_PORT']}",
        "XINYI_BLOB_BACKEND": backend,
        "XINYI_S3_ENDPOINT": f"http://127.0.0.1:{PORTS['SEAWEEDFS_S3_PORT']}",
        "XINYI_S3_BUCKET": "xinyi-ticketing",
        "XINYI_S3_ACCESS_KEY": "xinyi-dev",
        "XINYI_S3_SECRET_KEY": "xinyi-dev-secret",
        "XINYI_CLOCK_FILE": str(clock_file),
        "XINYI_SCHEDULER_POLL_SECONDS": "0.2",
        # Small batches, so both replicas take part in a burst of due timers.
        "XINYI_SCHEDULER_BATCH": "5",
        "PYTHONUNBUFFERED": "1",
    }
    log = logs / f"ticketing-replica-{index}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "ticketing_service", "serve"],
        cwd=REPO_DIR,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    replica = Replica(f"http://127.0.0.1:{http_port}", process, log)

    def ready() -> bool | None:
        if process.poll() is not None:
            raise AssertionError(f"replica {index} exited: {log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{replica.url}/health/ready", timeout=5).status_code == 200 or None
        except httpx.HTTPError:
            return None

    eventually(ready, timeout=90, what=f"ticketing replica {index}")
    return replica


@pytest.fixture(scope="module")
def clock_and_replicas() -> Iterator[tuple[Clock, list[Replica]]]:
    with tempfile.TemporaryDirectory(prefix="xinyi-ticketing-e2e-") as scratch:
        clock = Clock(Path(scratch) / "clock.json")
        clock.set(SHANGHAI_TWO_AM)
        replicas: list[Replica] = []
        try:
            for index in (1, 2):
                replicas.append(_start_replica(clock.path, Path(scratch), index))
            yield clock, replicas
        finally:
            for replica in replicas:
                replica.process.terminate()
            for replica in replicas:
                try:
                    replica.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    replica.process.kill()


@dataclass
class Site:
    code: str
    households: list[str]
    tokens: dict[str, str]  # manager, staff, leader, resident, neighbour, officer, supervisor, stranger
    leader_username: str


@pytest.fixture(scope="module")
def site(tenant_api, admin_token, make_member) -> Site:
    """An estate with three households, the first two in grid G1 (led by a grid leader), a resident
    of the first, one of the third, the firm, a supervisor, a community officer, and a firm manager
    of another estate."""
    code = unique_code("tix")
    other = unique_code("tix-o")
    for estate in (code, other):
        assert onboard(tenant_api, admin_token, estate).status_code == 201, estate
    tokens: dict[str, str] = {}
    _, tokens["manager"] = make_member(code, "firm_manager")
    _, tokens["staff"] = make_member(code, "firm_staff")
    leader_username, tokens["leader"] = make_member(code, "grid_leader")
    _, tokens["supervisor"] = make_member(code, "supervisor")
    _, tokens["officer"] = make_member(code, "community_officer")
    _, tokens["stranger"] = make_member(other, "firm_manager")
    manager = bearer(tokens["manager"])
    content = "\ufeff楼栋,单元,房号,面积,业主姓名,电话\n3栋,2单元,501,90.00,张三,13900000001\n3栋,2单元,502,88.00,李四,13900000002\n5栋,1单元,101,70.00,王五,13900000003\n"
    imported = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("list.csv", content.encode(), "text/csv")},
        headers=manager,
    )
    assert imported.status_code == 201, imported.text
    households = imported.json()["household_ids"]
    assert (
        tenant_api.post(f"/v1/estates/{code}/grids", json={"code": "G1", "name": "一网格"}, headers=manager).status_code
        == 201
    )
    assert (
        tenant_api.put(
            f"/v1/estates/{code}/grids/G1/leaders", json={"usernames": [leader_username]}, headers=manager
        ).status_code
        == 204
    )
    assert tenant_api.post(
        f"/v1/estates/{code}/grids/G1/households", json={"household_ids": households[:2]}, headers=manager
    ).json() == {"assigned": 2}
    tokens["resident"] = claim_member(tenant_api, code, tokens["manager"], households[0], "13900000001")
    tokens["neighbour"] = claim_member(tenant_api, code, tokens["manager"], households[2], "13900000003")
    eventually(
        lambda: (
            httpx.get(
                f"{http_url('ticketing')}/v1/estates/{code}/service-targets", headers=manager, timeout=10
            ).status_code
            == 200
            or None
        ),
        what="the estate known to ticketing",
    )
    return Site(code, households, tokens, leader_username)


class Api:
    """One person's calls to one ticketing replica."""

    def __init__(self, url: str, code: str, token: str) -> None:
        self.base = f"{url}/v1/estates/{code}"
        self.headers = bearer(token)

    def post(self, path: str, body: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return httpx.post(
            f"{self.base}{path}", json=body, headers={**self.headers, **kwargs.pop("headers", {})}, timeout=60, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", headers=self.headers, timeout=60, **kwargs)

    def upload(self, data: bytes, name: str, purpose: str = "photo") -> httpx.Response:
        return httpx.post(
            f"{self.base}/ticket-files",
            params={"purpose": purpose},
            files={"file": (name, data, "application/octet-stream")},
            headers=self.headers,
            timeout=120,
        )


def ticketing_events(event_type: type, ticket_ids: set[str]) -> list[Any]:
    full_name = event_type.DESCRIPTOR.full_name
    found = []
    for attributes, value in read_events(TICKETING_EVENTS):
        if attributes.get("type") != full_name:
            continue
        message = event_type.FromString(value)
        if message.ticket_id in ticket_ids:
            found.append(message)
    return found


def report_light(api: Api, household: str, **changes: Any) -> dict[str, Any]:
    body = {
        "category": "lighting",
        "urgency": "urgent",
        "description": "3栋2单元5楼楼道灯不亮，漆黑一片",
        "household_id": household,
        "area": "3栋2单元5楼楼道",
        **changes,
    }
    created = api.post("/tickets", body)
    assert created.status_code == 201, created.text
    return dict(created.json())


def at(offset: timedelta, base: datetime = SHANGHAI_TWO_AM) -> datetime:
    return base + offset


def test_the_stair_light_at_two_in_the_night(site: Site, clock_and_replicas) -> None:
    clock, replicas = clock_and_replicas
    url = replicas[0].url
    resident = Api(url, site.code, site.tokens["resident"])
    staff = Api(url, site.code, site.tokens["staff"])
    clock.set(SHANGHAI_TWO_AM)

    photo = resident.upload(png(11), "light.png")
    assert photo.status_code == 201, photo.text
    ticket = report_light(resident, site.households[0], photos=[photo.json()["sha256"]])
    assert datetime.fromisoformat(ticket["reported_at"]) == SHANGHAI_TWO_AM
    assert ticket["grid_code"] == "G1" and ticket["status"] == "open"

    # The household's grid leader and the firm see it; the firm's queue is by category.
    leader = Api(url, site.code, site.tokens["leader"])
    assert ticket["id"] in [t["id"] for t in leader.get("/tickets").json()["tickets"]]
    queue = staff.get("/tickets", params={"category": "lighting", "open": "true"}).json()["tickets"]
    assert ticket["id"] in [t["id"] for t in queue]

    clock.set(at(timedelta(minutes=7, seconds=13)))
    assert staff.post(f"/tickets/{ticket['id']}/acknowledge", {"note": "马上到"}).status_code == 200
    clock.set(at(timedelta(minutes=41, seconds=5)))
    fix = staff.upload(png(12), "fixed.png")
    resolved = staff.post(f"/tickets/{ticket['id']}/resolve", {"note": "更换LED灯泡", "photos": [fix.json()["sha256"]]})
    assert resolved.status_code == 200, resolved.text
    clock.set(at(timedelta(minutes=44)))
    confirmed = resident.post(f"/tickets/{ticket['id']}/confirm", {"score": 5, "comment": "半夜也修好了"})
    assert confirmed.status_code == 200, confirmed.text

    detail = resident.get(f"/tickets/{ticket['id']}").json()
    shown = detail["ticket"]
    assert shown["status"] == "confirmed" and shown["rating"] == {"score": 5, "comment": "半夜也修好了"}
    assert datetime.fromisoformat(shown["acknowledged_at"]) == at(timedelta(minutes=7, seconds=13))
    assert datetime.fromisoformat(shown["resolved_at"]) == at(timedelta(minutes=41, seconds=5))
    assert shown["figures"] == {
        "first_response_seconds": 433,
        "resolution_seconds": 2465,
        "first_response_met": True,
        "resolution_met": True,
        "reopen_count": 0,
    }
    steps = [(s["action"], s["to_status"], s["actor_role"]) for s in detail["history"]]
    assert steps == [
        ("report", "open", "resident"),
        ("acknowledge", "acknowledged", "firm_staff"),
        ("resolve", "resolved", "firm_staff"),
        ("confirm", "confirmed", "resident"),
    ]
    assert all(s["actor_subject"] for s in detail["history"]), "every step names who took it"

    # On Kafka: the report, each step with its figures, the rating; no person, household or text.
    ids = {ticket["id"]}
    transitioned = eventually(
        lambda: ((found := ticketing_events(events_pb2.TicketTransitioned, ids)) and len(found) >= 3 and found) or None,
        what="the ticket's steps on Kafka",
    )
    [resolve_event] = [e for e in transitioned if e.action == "resolve"]
    assert resolve_event.figures.resolution_seconds == 2465
    assert [e.score for e in ticketing_events(events_pb2.TicketRated, ids)] == [5]
    payloads = b"".join(e.SerializeToString() for e in transitioned)
    assert site.households[0].encode() not in payloads and "更换".encode() not in payloads

    # The month's figures, public to the estate: this is the estate's first ticket.
    figures = Api(url, site.code, site.tokens["neighbour"]).get("/ticket-figures/2031-03").json()
    assert (figures["reported"], figures["households"], figures["ratings"]) == (1, 3, 1)
    assert (figures["first_response_median_seconds"], figures["resolution_median_seconds"]) == (433, 2465)
    assert figures["satisfaction_rate_bps"] == 10000 and figures["first_response_within_target_bps"] == 10000

    # Who was told: the grid and the firm's queue at the report, the resident at each step.
    told = Api(url, site.code, site.tokens["manager"]).get(f"/tickets/{ticket['id']}/notifications").json()
    recipients = {(n["recipient_kind"], n["recipient"]) for n in told}
    assert {("grid", "G1"), ("firm_queue", "lighting"), ("person", subject_of(site.tokens["resident"]))} <= recipients


def test_a_missed_target_is_breached_and_escalated_by_the_service_itself(site: Site, clock_and_replicas) -> None:
    clock, replicas = clock_and_replicas
    start = SHANGHAI_TWO_AM + timedelta(days=1)
    clock.set(start)
    resident = Api(replicas[0].url, site.code, site.tokens["resident"])
    ticket = report_light(resident, site.households[0], area=None, category="plumbing", description="厨房漏水")
    officer = Api(replicas[1].url, site.code, site.tokens["officer"])
    assert officer.get(f"/tickets/{ticket['id']}").status_code == 404, "a private ticket, not escalated yet"

    clock.set(start + timedelta(minutes=30))  # at the deadline: still within target
    time.sleep(1.5)  # several scheduler polls; a breach here would be a bug
    assert resident.get(f"/tickets/{ticket['id']}").json()["ticket"]["breaches"] == []

    clock.set(start + timedelta(minutes=30, seconds=1))

    def breached() -> list[dict[str, Any]] | None:
        return resident.get(f"/tickets/{ticket['id']}").json()["ticket"]["breaches"] or None

    [breach] = eventually(breached, timeout=30, what="the breach, recorded without any request")
    assert (breach["kind"], breach["level"]) == ("first_response", "firm_manager")
    assert datetime.fromisoformat(breach["deadline"]) == start + timedelta(minutes=30)
    assert datetime.fromisoformat(breach["detected_at"]) == start + timedelta(minutes=30, seconds=1)
    [event] = eventually(
        lambda: ticketing_events(events_pb2.SlaBreached, {ticket["id"]}) or None, what="SlaBreached on Kafka"
    )
    assert (event.kind, event.level, event.category) == ("first_response", "firm_manager", "plumbing")
    manager = Api(replicas[0].url, site.code, site.tokens["manager"])
    told = {
        (n["recipient_kind"], n["recipient"], n["kind"])
        for n in manager.get(f"/tickets/{ticket['id']}/notifications").json()
    }
    assert ("role", "firm_manager", "breach") in told

    # Past its grace (the target again), to the community officer, who may now see it.
    clock.set(start + timedelta(minutes=60, seconds=1))
    levels = eventually(
        lambda: ((b := breached()) and len(b) == 3 and b) or None, timeout=30, what="the escalation to the community"
    )
    assert {(b["kind"], b["level"]) for b in levels} == {
        ("first_response", "firm_manager"),
        ("first_response", "community_officer"),
        ("resolution", "firm_manager"),
    }
    seen = officer.get(f"/tickets/{ticket['id']}")
    assert seen.status_code == 200 and seen.json()["ticket"]["escalation_level"] == "community_officer"


def test_two_replicas_emit_each_breach_exactly_once(site: Site, clock_and_replicas) -> None:
    clock, replicas = clock_and_replicas
    start = SHANGHAI_TWO_AM + timedelta(days=2)
    clock.set(start)
    ids = []
    for index in range(40):
        api = Api(replicas[index % 2].url, site.code, site.tokens["resident"])
        ids.append(report_light(api, site.households[0], description=f"第{index}号灯不亮")["id"])
    clock.set(start + timedelta(minutes=61))  # both breaches and the first escalation are due for each

    def all_recorded() -> bool | None:
        with connect("ticketing", "system") as db:
            rows = db.execute(
                "SELECT count(*) FROM ticket_transitions WHERE ticket_id = ANY(%s) AND action = 'breach'", (ids,)
            ).fetchone()
        return (rows is not None and rows[0] == 3 * len(ids)) or None

    eventually(all_recorded, timeout=60, what="three breach steps for each ticket")
    wanted = 3 * len(ids)
    events = eventually(
        lambda: (
            ((found := ticketing_events(events_pb2.SlaBreached, set(ids))) and len(found) >= wanted and found) or None
        ),
        timeout=60,
        what="the breaches on Kafka",
    )
    time.sleep(2)  # anything duplicated would be relayed by now
    events = ticketing_events(events_pb2.SlaBreached, set(ids))
    counted = Counter((e.ticket_id, e.kind, e.level) for e in events)
    assert len(events) == wanted and set(counted.values()) == {1}, "each breach exactly once"
    assert {(kind, level) for _, kind, level in counted} == {
        ("first_response", "firm_manager"),
        ("first_response", "community_officer"),
        ("resolution", "firm_manager"),
    }
    fired = [_metric(replica.url, "xinyi_ticketing_timers_fired_total") for replica in replicas]
    print(f"timers fired per replica: {fired}")


def _metric(url: str, name: str) -> float:
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def test_materials_become_a_pending_expense_in_the_ledger_linked_both_ways(site: Site, clock_and_replicas) -> None:
    clock, replicas = clock_and_replicas
    clock.set(SHANGHAI_TWO_AM + timedelta(days=3))
    resident = Api(replicas[0].url, site.code, site.tokens["resident"])
    staff = Api(replicas[1].url, site.code, site.tokens["staff"])
    ticket = report_light(resident, site.households[0])
    receipt = staff.upload(png(21), "receipt.png", purpose="receipt")
    assert receipt.status_code == 201, receipt.text
    refused = resident.upload(png(22), "receipt.png", purpose="receipt")
    assert refused.status_code == 403

    body = {
        "supplier": "明亮五金店",
        "lines": [{"item": "LED灯泡", "quantity": "2", "unit": "个", "unit_price_fen": 1250}],
        "budget_line": "5600",
        "receipts": [receipt.json()["sha256"]],
    }
    key = f"materials-{uuid.uuid4().hex[:12]}"

    def record() -> httpx.Response | None:
        answer = staff.post(f"/tickets/{ticket['id']}/materials", body, headers={"Idempotency-Key": key})
        return answer if answer.status_code != 409 else None  # the books open shortly after onboarding

    recorded = eventually(record, timeout=90, what="the estate's books, to propose the materials")
    assert recorded.status_code == 201, recorded.text
    materials = recorded.json()["materials"]
    assert materials["amount_fen"] == 2500 and recorded.json()["ticket"]["materials_fen"] == 2500
    again = staff.post(f"/tickets/{ticket['id']}/materials", body, headers={"Idempotency-Key": key})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json()["materials"] == materials

    expense = httpx.get(
        f"{http_url('ledger')}/v1/estates/{site.code}/expenses/{materials['expense_id']}",
        headers=bearer(site.tokens["supervisor"]),
        timeout=30,
    )
    assert expense.status_code == 200, expense.text
    shown = expense.json()
    assert shown.get("expense", shown)["ticket_id"] == ticket["id"]
    assert shown.get("expense", shown)["status"] in ("proposed", "awaiting_ballot")
    assert shown.get("expense", shown)["amount_fen"] == 2500
    detail = staff.get(f"/tickets/{ticket['id']}").json()
    assert [m["expense_id"] for m in detail["materials"]] == [materials["expense_id"]]


def test_photos_too_large_of_a_wrong_type_or_not_images_are_refused_and_nothing_is_stored(
    site: Site, clock_and_replicas
) -> None:
    _, replicas = clock_and_replicas
    resident = Api(replicas[0].url, site.code, site.tokens["resident"])
    pdf = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + uuid.uuid4().hex.encode()
    text = ("这不是图片 " + uuid.uuid4().hex).encode()
    big = png(31, padding=PHOTO_LIMIT)  # a real PNG, 10 MiB and a little more
    for data, name in ((pdf, "photo.jpg"), (text, "photo.png"), (big, "big.png")):
        answer = resident.upload(data, name)
        assert answer.status_code in (413, 422), (name, answer.status_code, answer.text)
        assert answer.json()["error"] in ("invalid_input", "payload_too_large"), answer.text
        assert answer.json()["reason"]
    import hashlib

    refused = [hashlib.sha256(data).hexdigest() for data in (pdf, text, big)]
    with connect("ticketing", "system") as db:
        stored = db.execute("SELECT count(*) FROM ticket_files WHERE sha256 = ANY(%s)", (refused,)).fetchone()
    assert stored is not None and stored[0] == 0
    from xinyi_shared.blobs import blob_store_from_settings
    from xinyi_shared.settings import ServiceSettings

    backend = os.environ.get("XINYI_SERVICES_BLOB_BACKEND", "filesystem")
    settings = ServiceSettings(
        service_name="ticketing",
        http_port=0,
        grpc_port=0,
        blob_backend=backend,
        s3_endpoint=f"http://127.0.0.1:{PORTS['SEAWEEDFS_S3_PORT']}",
        s3_bucket="xinyi-ticketing",
        s3_access_key="xinyi-dev",
        s3_secret_key="xinyi-dev-secret",
    )
    store = blob_store_from_settings(settings)
    assert not any(store.exists(sha) for sha in refused), "a refused file left bytes in the blob store"


def test_a_resident_sees_only_its_households_private_tickets_and_no_other_estate(
    site: Site, clock_and_replicas
) -> None:
    _, replicas = clock_and_replicas
    url = replicas[1].url
    resident = Api(url, site.code, site.tokens["resident"])
    private = report_light(resident, site.households[0], description="卫生间门锁坏了", area=None, category="other")
    public = report_light(
        resident, site.households[0], visibility="public", description="电梯异响", category="elevator"
    )
    neighbour = Api(url, site.code, site.tokens["neighbour"])
    assert neighbour.get(f"/tickets/{private['id']}").status_code == 404
    listed = {t["id"]: t for t in neighbour.get("/tickets", params={"limit": 200}).json()["tickets"]}
    assert private["id"] not in listed
    assert listed[public["id"]]["view"] == "public" and listed[public["id"]]["household_id"] is None
    assert neighbour.post(f"/tickets/{private['id']}/confirm", {"score": 1}).status_code == 404
    assert neighbour.post(f"/tickets/{private['id']}/complaint", {"reason": "x"}).status_code == 404
    assert neighbour.upload(png(41), "x.png").status_code == 201
    # The neighbour cannot report for the resident's household.
    refused = neighbour.post(
        "/tickets", {"category": "lighting", "description": "x", "household_id": site.households[0]}
    )
    assert refused.status_code == 403
    # Another estate's people see nothing of this estate, whatever their role.
    stranger = Api(url, site.code, site.tokens["stranger"])
    for response in (stranger.get("/tickets"), stranger.get(f"/tickets/{public['id']}")):
        assert response.status_code == 403
    # And in the database, the app role sees only the estate it is set to (forced row-level security).
    with connect("ticketing", "app") as db:
        db.execute("SELECT set_config('xinyi.estate', %s, true)", (unique_code("nobody"),))
        rows = db.execute("SELECT count(*) FROM tickets WHERE id = %s", (private["id"],)).fetchone()
    assert rows is not None and rows[0] == 0


def test_a_ticket_that_cannot_be_stepped_does_not_hold_up_the_others(site: Site, clock_and_replicas) -> None:
    clock, replicas = clock_and_replicas
    start = SHANGHAI_TWO_AM + timedelta(days=5)
    clock.set(start)
    resident = Api(replicas[0].url, site.code, site.tokens["resident"])
    broken = report_light(resident, site.households[0], description="坏数据")
    good = report_light(resident, site.households[0], description="好数据")
    with connect("ticketing", "system") as db:  # a row no step could have written (version 0)
        db.execute("UPDATE tickets SET state = jsonb_set(state, '{version}', '0') WHERE id = %s", (broken["id"],))
        db.commit()
    clock.set(start + timedelta(minutes=31))

    def breached() -> list[dict[str, Any]] | None:
        return resident.get(f"/tickets/{good['id']}").json()["ticket"]["breaches"] or None

    eventually(breached, timeout=30, what="the good ticket's breach, despite the broken one")
    with connect("ticketing", "system") as db:
        row = db.execute("SELECT next_timer_at FROM tickets WHERE id = %s", (broken["id"],)).fetchone()
    assert row is not None and row[0] == start + timedelta(minutes=36), "put back five minutes, not dropped"
