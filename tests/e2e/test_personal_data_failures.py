"""Household files crafted to fail in every layer the import has: each is refused (4xx), and no name
or phone it carried reaches any service log or any Kafka event.

Every fake person has a unique ASCII token in the name (found however a log line escapes the Chinese
around it) and a unique mobile number. The logs are read from where each file ended when the test
began; the topics are read whole (the tokens are unique, so older events cannot match)."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from openpyxl import Workbook

from tests.harness import STATE_DIR, bearer, estate_events, household_xlsx, read_events

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["楼栋", "单元", "房号", "面积", "业主姓名", "电话"]
MAX_IMPORT_BYTES = 20 * 1024 * 1024
TOPICS = ("xinyi.tenant.events.v1", "xinyi.ledger.events.v1")


@dataclass
class Secrets:
    """The personal data the test sends; none of it may reach a log or an event."""

    names: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)

    def person(self) -> tuple[str, str]:
        token = f"Pd{uuid.uuid4().hex[:10]}"
        name = f"隐私{token}"
        phone = f"1{random.choice('3456789')}{random.randrange(10**9):09d}"
        self.names.append(name)
        self.tokens.append(token)
        self.phones.append(phone)
        return name, phone

    def needles(self) -> list[bytes]:
        escaped = [json.dumps(name)[1:-1] for name in self.names]  # as json.dumps(ensure_ascii=True) writes it
        return [s.encode() for s in (*self.tokens, *self.phones, *self.emails, *self.names, *escaped)]


def log_offsets() -> dict[Path, int]:
    return {log: log.stat().st_size for log in (STATE_DIR / "services").glob("*.log")}


def new_log_lines(offsets: dict[Path, int]) -> dict[str, list[bytes]]:
    lines: dict[str, list[bytes]] = {}
    for log in (STATE_DIR / "services").glob("*.log"):
        start = offsets.get(log, 0)
        with log.open("rb") as stream:
            if os.fstat(stream.fileno()).st_size < start:  # truncated meanwhile: read it all
                start = 0
            stream.seek(start)
            lines[log.name] = stream.read().splitlines()
    return lines


def csv_file(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_file(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(tenant_api: httpx.Client, code: str, token: str, filename: str, content: bytes) -> httpx.Response:
    kind = XLSX_TYPE if filename.endswith(".xlsx") else "text/csv"
    return tenant_api.post(
        f"/v1/estates/{code}/households/import", files={"file": (filename, content, kind)}, headers=bearer(token)
    )


def row_problems(response: httpx.Response) -> set[tuple[int, str]]:
    return {(e["line"], e["column"]) for e in response.json().get("row_errors", [])}


def test_failed_imports_leave_no_personal_data_in_logs_or_events(tenant_api, make_estate) -> None:
    offsets = log_offsets()
    secrets = Secrets()
    estate = make_estate("pii-fail")
    code, manager = estate.code, estate.manager_token
    refused: dict[str, httpx.Response] = {}

    def refuse(case: str, filename: str, content: bytes, *statuses: int) -> httpx.Response:
        response = upload(tenant_api, code, manager, filename, content)
        assert response.status_code in (statuses or (422,)), f"{case}: {response.status_code} {response.text}"
        refused[case] = response
        return response

    # A good list first: its owner is in the database now, and in no log or event.
    owner, owner_phone = secrets.person()
    imported = upload(
        tenant_api, code, manager, "good.csv", csv_file([HEADER, ["1", "1", "101", "90", owner, owner_phone]])
    )
    assert imported.status_code == 201, imported.text
    household_id = imported.json()["household_ids"][0]

    # NUL in a name (the database refuses it: once a 500 with the INSERT's values in the log) and in a phone.
    name, phone = secrets.person()
    other, other_phone = secrets.person()
    nul = refuse(
        "NUL",
        "nul.csv",
        csv_file(
            [
                HEADER,
                ["2", "1", "101", "90", f"隐\x00{name}", phone],
                ["2", "1", "102", "90", other, f"{other_phone}\x00"],
            ]
        ),
    )
    assert nul.json()["error"] == "invalid_input"
    assert row_problems(nul) == {(2, "业主姓名"), (3, "电话")}, nul.text
    assert all("control character" in e["reason"] for e in nul.json()["row_errors"])

    # Every other control character: C0, DEL, tab and line breaks inside a quoted cell.
    rows = [HEADER]
    for index, control in enumerate(["\x01", "\x08", "\x1b", "\x1f", "\x7f", "\t", "\r\n", "\x0b"]):
        name, phone = secrets.person()
        rows.append(["3", "1", f"{index + 1}01", "90", f"{name[:2]}{control}{name[2:]}", phone])
    controls = refuse("control characters", "controls.csv", csv_file(rows))
    assert row_problems(controls) == {(line, "业主姓名") for line in range(2, 10)}, controls.text

    # A line break typed into an XLSX cell (Alt+Enter).
    name, phone = secrets.person()
    in_xlsx = refuse("XLSX line break", "break.xlsx", xlsx_file([HEADER, [4, 1, 101, 90, f"{name}\n", phone]]))
    assert row_problems(in_xlsx) == {(2, "业主姓名")}, in_xlsx.text

    # Over-long values, a malformed phone, a duplicate room, an unknown grid, all in one file.
    long_name, phone = secrets.person()
    name, bad_phone = secrets.person()
    dup_a, dup_a_phone = secrets.person()
    dup_b, dup_b_phone = secrets.person()
    grid_owner, grid_phone = secrets.person()
    long_place, long_place_phone = secrets.person()
    mixed = refuse(
        "bad rows",
        "rows.csv",
        csv_file(
            [
                [*HEADER, "网格"],
                ["5", "1", "101", "90", long_name + "长" * 60, phone, ""],
                ["5", "1", "102", "90", name, bad_phone + "9", ""],
                ["5", "1", "103", "90", dup_a, dup_a_phone, ""],
                ["5", "1", "103", "91", dup_b, dup_b_phone, ""],
                ["5", "1", "104", "90", grid_owner, grid_phone, "G-unknown"],  # not reached: bad rows first
                ["5" * 30, "1", "105", "9" * 12, long_place, long_place_phone, ""],
            ]
        ),
    )
    assert {(2, "业主姓名"), (3, "电话"), (5, ""), (7, "楼栋"), (7, "面积")} <= row_problems(mixed), mixed.text
    name, phone = secrets.person()
    grid = refuse("unknown grid", "grid.csv", csv_file([[*HEADER, "网格"], ["5", "1", "106", "90", name, phone, "G9"]]))
    assert {line for line, _ in row_problems(grid)} == {2}, grid.text

    # Already registered: the dwelling of the good list, under another owner (refused by the service layer).
    name, phone = secrets.person()
    again = refuse("registered", "again.csv", csv_file([HEADER, ["1", "1", "101", "90", name, phone]]))
    assert row_problems(again) == {(2, "")}, again.text

    # A broken XLSX: random bytes (with a name and a phone in them) named .xlsx, and a truncated workbook.
    name, phone = secrets.person()
    noise = b"PK\x03\x04" + os.urandom(2000) + f"{name},{phone}".encode() + os.urandom(2000)
    refuse("random .xlsx", "random.xlsx", noise)
    refuse("not even a zip", "junk.xlsx", os.urandom(512) + f"{name};{phone}".encode())
    name, phone = secrets.person()
    workbook = xlsx_file([HEADER, [6, 1, 101, 90, name, phone]])
    refuse("truncated .xlsx", "truncated.xlsx", workbook[: len(workbook) // 2])
    name, phone = secrets.person()
    refuse("CSV named .xlsx", "list.xlsx", csv_file([HEADER, ["6", "1", "102", "90", name, phone]]))

    # CSVs in a wrong encoding: UTF-16 without its BOM, Big5, and bytes neither UTF-8 nor GB18030.
    name, phone = secrets.person()
    refuse("UTF-16 without BOM", "utf16.csv", csv_file([HEADER, ["7", "1", "101", "90", name, phone]], "utf-16-le"))
    name, phone = secrets.person()
    traditional = ["樓棟", "單元", "房號", "面積", "業主姓名", "電話"]
    refuse("Big5", "big5.csv", csv_file([traditional, ["7", "1", "102", "90", f"業主{name[2:]}", phone]], "big5"))
    name, phone = secrets.person()
    refuse(
        "undecodable",
        "latin.csv",
        csv_file([HEADER, ["7", "1", "103", "90", name, phone]], "utf-8")[:-2] + b"\xff\xfe\n",
    )

    # An Excel workbook renamed .csv, a PDF, no extension.
    name, phone = secrets.person()
    refuse("XLSX named .csv", "list.csv", household_xlsx(2, prefix=name))
    refuse("no extension", "list", csv_file([HEADER, ["8", "1", "101", "90", name, phone]]))

    # A file over the size cap (20 MiB): refused before it is parsed, by the route or at the door.
    name, phone = secrets.person()
    head = csv_file([HEADER, ["9", "1", "101", "90", name, phone]])
    refuse("over the cap", "huge.csv", head + b"\n" * (MAX_IMPORT_BYTES + 1 - len(head)), 413, 422)

    # Invitations and claims carry contacts and names too.
    name, phone = secrets.person()
    email = f"{secrets.tokens[-1].lower()}@example.cn"
    secrets.emails.append(email)
    for contact in (f"{phone}\x00", f"{phone}99", f"{email}\x00", f"{email}.{'x' * 300}"):
        invited = tenant_api.post(
            f"/v1/estates/{code}/households/{household_id}/invitations",
            json={"contact": contact, "relation": "resident"},
            headers=bearer(manager),
        )
        assert invited.status_code == 422, invited.text
    claimed = tenant_api.post(
        "/v1/invitations/claim",
        json={
            "estate_code": code,
            "claim_code": "NOT-A-REAL-CODE",
            "username": f"u{secrets.tokens[-1].lower()}",
            "password": "a-long-password-1",
            "email": email,
            "first_name": name,
            "last_name": f"{phone}\x00",
        },
    )
    assert claimed.status_code in (404, 422, 429), claimed.text

    # No answer repeats what it refused.
    needles = secrets.needles()
    for case, response in refused.items():
        for needle in needles:
            assert needle not in response.content, f"{case}: the answer repeats personal data"

    # The good import's event reached Kafka (so the events below include this test's), then every event.
    estate_events(TOPICS[0], code, "xinyi.tenant.v1.HouseholdsImported")
    for topic in TOPICS:
        for attributes, value in read_events(topic):
            flat = value + repr(attributes).encode()
            for needle in needles:
                assert needle not in flat, f"personal data in a {attributes.get('type')} event on {topic}"

    time.sleep(2)  # let the other services log what the events made them do
    lines = new_log_lines(offsets)
    tenant_lines = lines.get("tenant.log", [])
    request_ids = {response.headers["x-request-id"].encode() for response in refused.values()}
    ours = [line for line in tenant_lines if any(request_id in line for request_id in request_ids)]
    assert len({line.split(b'"request_id": "')[1][:32] for line in ours if b'"request_id": "' in line}) == len(
        request_ids
    ), "the tenant's log lacks some of this test's requests: is it the log the running service writes?"
    assert not [line for line in ours if b'"level": "ERROR"' in line or b'"status": 500' in line]
    for log, log_lines in lines.items():
        for number, line in enumerate(log_lines):
            for needle in needles:
                assert needle not in line, f"personal data in {log} (new line {number + 1})"
