"""What the cross-service tests need to reach the running platform: addresses, tokens, users."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import psycopg

if TYPE_CHECKING:
    from xinyi_shared.settings import ServiceSettings

REPO_DIR = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "xinyi-dev-password"
REALM = "xinyi"
T = TypeVar("T")


# The estates the tests make keep the platform's default time zone: their days, months and years (a
# payment's day, a period, a budget's year) are Asia/Shanghai's, which differ from UTC's for eight hours
# a day (16:00–24:00 UTC is already tomorrow there, and at a month's end already the next month).
ESTATE_ZONE = ZoneInfo("Asia/Shanghai")


def estate_now() -> datetime:
    return datetime.now(ESTATE_ZONE)


def estate_today() -> date:
    return estate_now().date()


def read_ports() -> dict[str, int]:
    ports = {}
    for line in (REPO_DIR / "deploy" / "ports.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            ports[name] = int(value)
    return ports


PORTS = read_ports()
KEYCLOAK_URL = f"http://127.0.0.1:{PORTS['KEYCLOAK_PORT']}"
# The front door (deploy/nginx.sh): the pages, /config.json and /api/<service>/….
WEB_URL = f"http://127.0.0.1:{PORTS['WEB_PORT']}"
SERVICES = ("tenant", "ledger", "ticketing", "microfund")
STATE_DIR = Path(os.environ.get("XINYI_STATE", Path.home() / ".cache" / "xinyi" / "state"))


def service_settings(service: str, **overrides: object) -> ServiceSettings:
    """``service``'s settings as a process of this test run uses them: the running platform's
    PostgreSQL and Kafka, no ports of its own; ``overrides`` on top (a relay's poll, say)."""
    from xinyi_shared.settings import ServiceSettings

    fields: dict[str, object] = {
        "service_name": service,
        "http_port": 0,
        "grpc_port": 0,
        "db_port": PORTS["POSTGRES_PORT"],
        "kafka_bootstrap": f"127.0.0.1:{PORTS['KAFKA_PORT']}",
    }
    return ServiceSettings(**(fields | overrides))


def http_url(service: str) -> str:
    return f"http://127.0.0.1:{PORTS[f'{service.upper()}_HTTP_PORT']}"


def grpc_target(service: str) -> str:
    return f"127.0.0.1:{PORTS[f'{service.upper()}_GRPC_PORT']}"


def user_token(username: str, password: str = DEMO_PASSWORD) -> str:
    """An access token of ``username`` from the web client (password grant, enabled for development)."""
    response = httpx.post(
        f"{KEYCLOAK_URL}/realms/{REALM}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "xinyi-web",
            "username": username,
            "password": password,
            # Without it, Keycloak omits the claim for members of several organisations.
            "scope": "organization:*",
        },
        timeout=20,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def service_token(client_id: str) -> str:
    response = httpx.post(
        f"{KEYCLOAK_URL}/realms/{REALM}/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, f"{client_id}-secret"),
        timeout=20,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def eventually(check: Callable[[], T | None], timeout: float = 90, what: str = "condition") -> T:
    """Polls ``check`` until it returns something other than None (asynchronous outcomes only)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.5)


def unique_code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


DISTRICT, SUB_DISTRICT, COMMUNITY = "shuangliu", "dongsheng", "jinhe"


def register_hierarchy(client: httpx.Client, token: str) -> None:
    """The test district's hierarchy (idempotent: 201 the first time, 200 after)."""
    for path, body in (
        ("/v1/districts", {"code": DISTRICT, "name": "双流区"}),
        (f"/v1/districts/{DISTRICT}/sub-districts", {"code": SUB_DISTRICT, "name": "东升街道"}),
        (f"/v1/sub-districts/{SUB_DISTRICT}/communities", {"code": COMMUNITY, "name": "金河社区"}),
    ):
        response = client.post(path, json=body, headers=bearer(token))
        assert response.status_code in (200, 201), response.text


class _MasterAdminAuth(httpx.Auth):
    """A master-realm admin token, fetched again shortly before it expires (it lives one minute), and
    once more when Keycloak refuses it before then (401): the token's session can be gone early, as
    after a restart of Keycloak, and Keycloak answers 401 now and then for a valid token
    (keycloak/keycloak#13551); a CI run lost 45 tests' set-up to one such token."""

    def __init__(self) -> None:
        self._token = ""
        self._expires_at = 0.0

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        if time.monotonic() > self._expires_at - 10:
            self._fetch()
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:
            self._fetch()
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request

    def _fetch(self) -> None:
        response = httpx.post(
            f"{KEYCLOAK_URL}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": os.environ.get("KEYCLOAK_ADMIN_USERNAME", "admin"),
                "password": os.environ.get("KEYCLOAK_ADMIN_PASSWORD", "admin"),
            },
            timeout=20,
        )
        response.raise_for_status()
        self._token = response.json()["access_token"]
        self._expires_at = time.monotonic() + float(response.json().get("expires_in", 60))


@dataclass
class KeycloakAdmin:
    """The realm's admin API, used by tests to create and remove their own users."""

    client: httpx.Client

    @classmethod
    def connect(cls) -> KeycloakAdmin:
        return cls(httpx.Client(base_url=f"{KEYCLOAK_URL}/admin/realms/{REALM}", auth=_MasterAdminAuth(), timeout=20))

    def create_user(self, username: str, role: str) -> str:
        response = self.client.post(
            "/users",
            json={
                "username": username,
                "email": f"{username}@xinyi.test",
                "emailVerified": True,
                "firstName": "Test",
                "lastName": username,
                "enabled": True,
                "credentials": [{"type": "password", "value": DEMO_PASSWORD, "temporary": False}],
            },
        )
        response.raise_for_status()
        user_id = response.headers["Location"].rsplit("/", 1)[-1]
        role_representation = self.client.get(f"/roles/{role}").raise_for_status().json()
        self.client.post(f"/users/{user_id}/role-mappings/realm", json=[role_representation]).raise_for_status()
        return user_id

    def grant_role(self, username: str, role: str) -> None:
        """Give an existing account another realm role (e.g. a firm manager who is also a supervisor)."""
        users = self.client.get("/users", params={"username": username, "exact": "true"}).raise_for_status().json()
        role_representation = self.client.get(f"/roles/{role}").raise_for_status().json()
        self.client.post(f"/users/{users[0]['id']}/role-mappings/realm", json=[role_representation]).raise_for_status()

    def delete_user(self, user_id: str) -> None:
        self.client.delete(f"/users/{user_id}")

    def organizations(self, alias: str) -> list[dict[str, object]]:
        found = self.client.get("/organizations", params={"search": alias, "exact": "true"}).raise_for_status().json()
        return [org for org in found if org.get("alias") == alias]


def read_records(topic: str, timeout: float = 30) -> list[Any]:
    """Every record of ``topic`` up to its current end, as kafka-python gives them (partition, headers …)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=f"127.0.0.1:{PORTS['KAFKA_PORT']}", enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:  # the topic is created with its first event: nothing was relayed yet
            return []
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(p) < end[p] for p in partitions):
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {topic} to its end in {timeout}s")
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def event_attributes(record: Any) -> dict[str, str]:
    """A record's CloudEvent attributes, from its ``ce_*`` headers."""
    return {k.removeprefix("ce_"): v.decode() for k, v in record.headers if k.startswith("ce_")}


def read_events(topic: str, timeout: float = 30) -> list[tuple[dict[str, str], bytes]]:
    """Every record of ``topic`` up to its current end: (CloudEvent attributes from headers, payload)."""
    return [(event_attributes(record), record.value) for record in read_records(topic, timeout)]


def estate_events(topic: str, estate_code: str, event_type: str, timeout: float = 60) -> list[bytes]:
    """The payloads of ``estate_code``'s events of ``event_type``, once at least one has been relayed."""

    def matching() -> list[bytes] | None:
        found = [
            value
            for attributes, value in read_events(topic)
            if attributes.get("subject") == estate_code and attributes.get("type") == event_type
        ]
        return found or None

    return eventually(matching, timeout=timeout, what=f"a {event_type} event of {estate_code}")


def household_csv(rows: int, *, prefix: str = "", bad_lines: dict[int, dict[str, str]] | None = None) -> bytes:
    """A firm's household list with Chinese headers; ``bad_lines`` overrides cells of given data rows."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["楼栋", "单元", "房号", "面积", "业主姓名", "电话"])
    for i in range(rows):
        cells = {
            "楼栋": f"{i // 200 + 1}栋",
            "单元": f"{i // 50 % 4 + 1}单元",
            "房号": f"{i % 50 // 4 + 1}0{i % 4 + 1}",
            "面积": f"{80 + i % 40}.{i % 100:02d}",
            "业主姓名": f"{prefix}业主{i}",
            "电话": f"139{i:08d}",
        }
        cells.update((bad_lines or {}).get(i, {}))
        writer.writerow(cells.values())
    return ("\ufeff" + buffer.getvalue()).encode()


def household_xlsx(rows: int, *, prefix: str = "") -> bytes:
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["楼栋", "单元", "房号", "建筑面积(㎡)", "业主", "联系电话"])
    for i in range(rows):
        sheet.append(
            [
                i // 200 + 1,
                i // 50 % 4 + 1,
                int(f"{i % 50 // 4 + 1}0{i % 4 + 1}"),
                round(80 + (i % 40) + (i % 100) / 100, 2),
                f"{prefix}户主{i}",
                f"138{i:08d}",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def connect(database: str, role: str) -> psycopg.Connection:
    """A raw connection to a service's database as one of its roles (app, system or owner)."""
    return psycopg.connect(
        host="127.0.0.1",
        port=PORTS["POSTGRES_PORT"],
        dbname=database,
        user=f"{database}_{role}",
        password=os.environ.get("XINYI_DB_PASSWORD", "xinyi-dev"),
        autocommit=False,
    )


def claim_member(tenant_api, code: str, manager: str, household_id: str, contact: str) -> str:
    """Invite someone to the household and claim the invitation; returns their token."""
    invitation = tenant_api.post(
        f"/v1/estates/{code}/households/{household_id}/invitations",
        json={"contact": contact, "relation": "resident"},
        headers=bearer(manager),
    )
    assert invitation.status_code == 201, invitation.text
    username = unique_code("voter")
    claimed = tenant_api.post(
        "/v1/invitations/claim",
        json={
            "estate_code": code,
            "claim_code": invitation.json()["claim_code"],
            "username": username,
            "password": "a-long-password-1",
            "email": f"{username}@xinyi.test",
            "first_name": "民",
            "last_name": "居",
        },
    )
    assert claimed.status_code == 201, claimed.text
    return user_token(username, "a-long-password-1")


def run_billing(
    client: httpx.Client, path: str, period: str, idempotency_key: str, timeout: float = 300
) -> dict[str, object]:
    """POST a billing run (``path``: an estate's or a district's ``…/billing-runs``, relative to the
    client's base URL or absolute) and wait for its job to finish; returns the finished job."""
    started = client.post(path, json={"period": period}, headers={"Idempotency-Key": idempotency_key})
    assert started.status_code == 202, started.text
    return finished_job(client, started.json()["job_id"], timeout)


def finished_job(client: httpx.Client, job_id: str, timeout: float = 300) -> dict[str, object]:
    """The billing job once it is done or failed."""
    job_url = f"{http_url('ledger')}/v1/billing-jobs/{job_id}"

    def finished() -> dict[str, object] | None:
        job: dict[str, object] = client.get(job_url).json()
        return job if job["status"] in ("done", "failed") else None

    return eventually(finished, timeout=timeout, what="the billing job to finish")


def settled_balances(ledger: httpx.Client) -> dict[str, int]:
    """An estate's balances once the background remuneration accrual has caught up with the last
    write (it posts within moments of a payment): two reads in a row that agree."""
    balances: dict[str, int] = ledger.get("/balances").json()
    for _ in range(50):
        time.sleep(0.2)
        again: dict[str, int] = ledger.get("/balances").json()
        if again == balances:
            return balances
        balances = again
    raise AssertionError("the balances kept moving")
