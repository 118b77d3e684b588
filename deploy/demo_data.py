"""The demo estate with a year of history, made through the public HTTP APIs only, as the people of the
platform would make it: the platform team onboards 金河绿洲 with its books from twelve months back and
makes the demo accounts its members; the firm imports 120 households, invites their owners, bills
every month, records payments (a few households fall into arrears) and common income, drafts the
year's budget, proposes expenses with vouchers and answers a resident's question; the supervisor puts
the budget to the owners (a closed ballot with votes), approves the expenses and opens another ballot;
the firm manager closes each month in order (each close signs a checkpoint); residents report
problems and rate the fixes; the community officer records the firm's transfers against its pledges,
a resident's and a shop's donation, and approves and pays a resident's grant.

Safe to run again (``make up`` runs it every time): every write has a fixed Idempotency-Key or is made
only after reading that it is missing, so nothing is doubled; a second run adds only what the passing
of time asks for (a new month's bills and payments, the close of the month that ended). An estate
made earlier (e.g. onboarded this month, before estates could bring earlier books) is kept: its
history is made for the months its books have, and the output says so.

``--estate``/``--community`` make the same data for another estate (to try the script without
touching the demo estate); the demo accounts become its members too."""

from __future__ import annotations

import argparse
import io
import struct
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.harness import (
    DEMO_PASSWORD,
    SUB_DISTRICT,
    bearer,
    household_csv,
    http_url,
    register_hierarchy,
    user_token,
)

DEMO_ESTATE = {
    "code": "jinhe-lvzhou",
    "name": "金河绿洲",
    "district_code": "shuangliu",
    "sub_district_code": "dongsheng",
    "community_code": "jinhe",
    "fee_rate_fen_per_sqm_month": "35",
    "remuneration_share_bps": 1500,
    "donation_share_bps": 3000,
}
DEMO_HOUSEHOLDS = 120
HISTORY_MONTHS = 12  # a fresh estate's books begin this many months before the current one
ESTATE_MEMBERS = ["firm-manager", "firm-staff", "supervisor", "resident", "grid-leader", "community-officer"]
TZ = ZoneInfo("Asia/Shanghai")
WORKERS = 12  # requests in flight at once (the services' pools and PostgreSQL keep up on 2 cores)

# Who is who among the 120 households (the index of the row in the imported list, household_csv).
RESIDENT_HOUSEHOLD = 0  # the demo `resident` account's home
OWNERS = range(1, 41)  # households whose owners claim an account of their own (they vote, report, rate)
ARREARS = {17: 1, 42: 3, 66: 6, 103: 9}  # household → its last N months unpaid (so every ageing bucket shows)
LATE_THIS_MONTH = {i for i in range(DEMO_HOUSEHOLDS) if i % 15 == 14}  # not yet paid the current month
PREPAYS = {RESIDENT_HOUSEHOLD: 3}  # pays this month and the next two at once: prepaid credit
METHODS = ("wechat_pay", "alipay", "bank_transfer", "cash")


def payment_cycle(household: int) -> int:
    """How many months a household pays at once (its credit settles the next bills as they come): most
    monthly, some by the quarter or the year, as estates' owners do; those in arrears monthly."""
    if household in ARREARS or household in LATE_THIS_MONTH or household % 10 in (0, 6):
        return 1
    return 12 if household % 10 in (3, 4, 7) else 3


# The year's plans (shares of the fee income the firm expects): lines 5100-5900 of the ledger.
PLANS = {
    "基础方案": [
        ("5100", "保洁", 2400),
        ("5200", "秩序维护", 2700),
        ("5300", "绿化", 700),
        ("5400", "电梯维保", 900),
        ("5500", "公共能耗", 600),
        ("5600", "维修", 600),
        ("5900", "备用金", 500),
    ],
    "提升方案": [
        ("5100", "保洁", 2300),
        ("5200", "秩序维护", 2800),
        ("5300", "绿化", 900),
        ("5400", "电梯维保", 900),
        ("5500", "公共能耗", 600),
        ("5600", "维修", 800),
        ("5900", "备用金", 200),
    ],
}
WINNING_PLAN = "提升方案"
# This month's expenses: (line, payee, what, share of the line's yearly amount in ‰, voucher kind).
EXPENSES = [
    ("5100", "成都洁美保洁服务有限公司", "{month}保洁服务费（含垃圾清运）", 83, "pdf"),
    ("5200", "四川蓉安保安服务有限公司", "{month}秩序维护服务费（门岗、巡逻）", 83, "pdf"),
    ("5300", "双流绿源园林工程部", "{month}绿化养护：草坪修剪、补种月季", 83, "png"),
    ("5400", "成都某电梯工程有限公司", "{month}电梯月度维保（6部）", 83, "pdf"),
    ("5500", "国网四川省电力公司成都供电公司", "{month}公共区域电费（路灯、电梯、水泵）", 83, "pdf"),
    ("5600", "金河五金建材店", "1栋1单元至3单元楼道灯更换LED灯具", 60, "png"),
]
QUESTIONED = 5  # the index in EXPENSES a resident questions
UNPAID = 4  # approved, not yet paid: shows as committed in budget vs actual
QUESTION = "楼道灯为什么这么贵？换了几盏灯？"
ANSWER = "共更换3个单元13层楼道LED声控灯具36套，单价含安装费，发票和验收照片见附件。"


@dataclass
class Ticket:
    key: str
    reporter: int | str  # a household index (its owner's or the demo resident's account) or "firm"
    household: int
    body: dict[str, Any]
    until: str  # the last step the demo takes: open, resolved or confirmed
    score: int = 0
    comment: str = ""


TICKETS = [
    Ticket(
        "stair-light",
        RESIDENT_HOUSEHOLD,
        RESIDENT_HOUSEHOLD,
        {
            "category": "lighting",
            "urgency": "urgent",
            "description": "1栋1单元3楼楼道灯不亮，晚上看不见台阶",
            "area": "1栋1单元3楼楼道",
            "visibility": "public",
        },
        "confirmed",
        5,
        "晚上十点报修，半小时就修好了，谢谢师傅！",
    ),
    Ticket(
        "kitchen-drain",
        1,
        1,
        {"category": "plumbing", "urgency": "normal", "description": "厨房下水道堵塞，水下不去"},
        "confirmed",
        4,
        "疏通及时，师傅把地面也清理了",
    ),
    Ticket(
        "elevator-noise",
        2,
        2,
        {
            "category": "elevator",
            "urgency": "urgent",
            "description": "1单元电梯运行时有异响，轿厢晃动",
            "area": "1栋1单元电梯",
            "visibility": "public",
        },
        "confirmed",
        5,
        "维保公司当天就来检修了",
    ),
    Ticket(
        "lawn-water",
        3,
        3,
        {
            "category": "greening",
            "urgency": "normal",
            "description": "小区东侧草坪积水，蚊虫多",
            "area": "东侧草坪",
            "visibility": "public",
        },
        "confirmed",
        3,
        "处理了，但等了两天",
    ),
    Ticket(
        "garage-gate",
        4,
        4,
        {
            "category": "security",
            "urgency": "urgent",
            "description": "地下车库入口道闸抬不起来",
            "area": "地下车库入口",
            "visibility": "public",
        },
        "confirmed",
        5,
        "",
    ),
    Ticket(
        "bins",
        5,
        5,
        {
            "category": "cleaning",
            "urgency": "normal",
            "description": "2单元门口垃圾桶满了没有清运",
            "area": "1栋2单元门口",
            "visibility": "public",
        },
        "confirmed",
        4,
        "第二天早上清运了",
    ),
    Ticket(
        "by-phone",
        "firm",
        6,
        {"category": "plumbing", "urgency": "normal", "description": "卫生间水龙头漏水（住户来电）"},
        "resolved",
    ),
    Ticket(
        "roof-leak",
        RESIDENT_HOUSEHOLD,
        RESIDENT_HOUSEHOLD,
        {
            "category": "other",
            "urgency": "normal",
            "description": "楼顶防水层开裂，下雨时顶楼走廊渗水",
            "area": "1栋1单元楼顶",
            "visibility": "public",
        },
        "open",
    ),
]
GRANT = {
    "title": "金河绿洲儿童游乐区加装遮阳棚",
    "purpose": "夏天游乐区滑梯和地垫晒得发烫，孩子们没法玩。申请资助加装遮阳棚，由楼栋志愿者监督施工。",
    "budget": [
        {"item": "遮阳棚材料（钢架、遮阳布）", "amount_fen": 80_000},
        {"item": "安装人工", "amount_fen": 40_000},
    ],
}
DONATIONS = [
    {
        "source": "resident",
        "amount_fen": 20_000,
        "donor_name": "王 芳",
        "anonymous": False,
        "note": "给孩子们的遮阳棚出一份力",
    },
    {
        "source": "business",
        "amount_fen": 100_000,
        "donor_name": "金河便民超市",
        "anonymous": False,
        "note": "社区商户捐赠",
    },
]
FUND_THRESHOLD_FEN = 500_000  # the officer decides grants up to ¥5,000.00


def month_of(day: date) -> str:
    return f"{day:%Y-%m}"


def add_months(period: str, months: int) -> str:
    index = int(period[:4]) * 12 + int(period[5:]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    periods = [first]
    while periods[-1] < last:
        periods.append(add_months(periods[-1], 1))
    return periods


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


# Files: small, valid and the same bytes every run (so an upload is the same content-addressed file).


def png(width: int, height: int, seed: int) -> bytes:
    """A real RGB PNG: a soft gradient with a band, tinted by ``seed`` (a photo stand-in)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    tint = ((seed * 67) % 200, (seed * 131) % 200, (seed * 29) % 200)
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            band = 60 if height // 3 < y < height // 3 + height // 6 else 0
            rows += bytes(
                (
                    min(255, tint[0] + x * 50 // width + band),
                    min(255, tint[1] + y * 50 // height + band),
                    min(255, tint[2] + (x + y) * 25 // (width + height) + band),
                )
            )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def pdf(title: str, lines: list[str]) -> bytes:
    """A one-page A5 PDF in Chinese (ReportLab's built-in STSong-Light: no font file), byte-identical
    every run (ReportLab's invariant mode: no creation date or random id)."""
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A5, invariant=1)
    width, height = A5
    canvas.setFont("STSong-Light", 16)
    canvas.drawCentredString(width / 2, height - 60, title)
    canvas.setFont("STSong-Light", 11)
    for n, line in enumerate(lines):
        canvas.drawString(50, height - 110 - 22 * n, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# The platform's HTTP APIs, as the demo's people ------------------------------------------------------


class Refused(Exception):
    pass


@dataclass
class Api:
    clients: dict[str, httpx.Client] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    writes: int = 0  # writes that changed something (not a replay of an earlier run's)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def token(self, username: str, password: str = DEMO_PASSWORD) -> str:
        for attempt in range(4):
            if username in self.tokens:
                break
            try:
                self.tokens[username] = user_token(username, password)
            except httpx.HTTPError:
                if attempt == 3:
                    raise
                time.sleep(1 + attempt)  # Keycloak busy or its client being reconfigured: a moment later
        return self.tokens[username]

    def call(
        self,
        service: str,
        method: str,
        path: str,
        who: str | None,
        *,
        ok: Iterable[int] = (200, 201),
        key: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        if service not in self.clients:
            self.clients[service] = httpx.Client(base_url=http_url(service), timeout=120)
        headers = {**(bearer(self.token(who)) if who else {}), **({"Idempotency-Key": key} if key else {})}
        for attempt in range(4):
            # 503: a service's dependency (Keycloak, the ledger's gRPC …) is busy; the answer says to retry.
            response = self.clients[service].request(method, path, headers=headers, **kwargs)
            if response.status_code != 503 or 503 in tuple(ok) or attempt == 3:
                break
            time.sleep(1 + 2 * attempt)
        if response.status_code not in tuple(ok):
            raise Refused(f"{who}: {method} {service}{path} → {response.status_code} {response.text[:300]}")
        # What changed something: not a read, an upload (content-addressed: the same file again is the
        # same file), a replay of an earlier run's write, or a 204 (set to what it already was).
        uploaded = "files" in kwargs
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        if method != "GET" and not uploaded and not replayed and response.status_code != 204:
            with self.lock:
                self.writes += 1
        return response

    def json(self, service: str, method: str, path: str, who: str, **kwargs: Any) -> Any:
        response = self.call(service, method, path, who, **kwargs)
        return response.json() if response.content else None


def eventually(check: Callable[[], Any], what: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise Refused(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.3)


def in_parallel(work: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(work, items))


@dataclass
class Demo:
    api: Api
    code: str
    community: str
    today: date
    periods: list[str] = field(default_factory=list)  # the books' months, the current one last
    households: list[str] = field(default_factory=list)  # household ids by their row in the imported list
    owners: dict[int, str] = field(default_factory=dict)  # household → its owner's username
    fees: list[int] = field(default_factory=list)  # each household's monthly fee in fen
    said: list[str] = field(default_factory=list)

    @property
    def current(self) -> str:
        return self.periods[-1]

    def key(self, *parts: object) -> str:
        return ":".join(["demo", self.code, *map(str, parts)])

    def say(self, line: str) -> None:
        self.said.append(line)

    def tenant(self, method: str, path: str, who: str, **kwargs: Any) -> Any:
        return self.api.json("tenant", method, f"/v1/estates/{self.code}{path}", who, **kwargs)

    def ledger(self, method: str, path: str, who: str, **kwargs: Any) -> Any:
        return self.api.json("ledger", method, f"/v1/estates/{self.code}{path}", who, **kwargs)

    def tickets(self, method: str, path: str, who: str, **kwargs: Any) -> Any:
        return self.api.json("ticketing", method, f"/v1/estates/{self.code}{path}", who, **kwargs)

    def fund(self, method: str, path: str, who: str, **kwargs: Any) -> Any:
        return self.api.json("microfund", method, f"/v1/communities/{self.community}/fund{path}", who, **kwargs)

    def account_of(self, household: int) -> str:
        return "resident" if household == RESIDENT_HOUSEHOLD else self.owners[household]

    # The estate, its people and its households ------------------------------------------------------

    def onboard(self, name: str, books_from: str) -> None:
        estate = {**DEMO_ESTATE, "code": self.code, "name": name, "community_code": self.community}
        existing = self.api.call("tenant", "GET", f"/v1/estates/{self.code}", "platform-admin", ok=(200, 403, 404))
        if existing.status_code != 200:
            self.api.json("tenant", "POST", "/v1/estates", "platform-admin", json={**estate, "books_from": books_from})
        elif existing.json().get("status") == "suspended":
            self.api.call("tenant", "POST", f"/v1/estates/{self.code}/resume", "platform-admin")
        for username in ESTATE_MEMBERS:
            self.api.call(
                "tenant", "POST", f"/v1/estates/{self.code}/members", "platform-admin", ok=(204,),
                json={"username": username},
            )  # fmt: skip
        eventually(
            lambda: (
                self.api.call("ledger", "GET", f"/v1/estates/{self.code}/accounts", "firm-manager", ok=(200, 404))
                .json()
                .get("accounts")
            ),
            "the estate's trust books to open",
        )
        history = self.tenant("GET", "/rules", "firm-manager")["history"]
        first = min(entry["effective_from"] for entry in history)[:7]
        self.periods = months_between(first, month_of(self.today))
        if len(self.periods) == 1:
            self.say(
                f"the books of {self.code} began this month ({first}: onboarded before estates could bring "
                "earlier books), so its history is this month's; a fresh `make up` gives a year"
            )

    def import_households(self) -> None:
        if self.tenant("GET", "/households?limit=1", "firm-manager")["total"] == 0:
            self.api.call(
                "tenant", "POST", f"/v1/estates/{self.code}/households/import", "firm-manager",
                files={"file": ("住户清单.csv", household_csv(DEMO_HOUSEHOLDS, prefix="示例"), "text/csv")},
            )  # fmt: skip
        register = self.register()
        by_place = {(h["unit"], h["room"]): h for h in register}
        # household_csv's row i: unit i//50%4+1, room <floor>0<n>; the register keeps unit and room.
        rows = [by_place[(str(i // 50 % 4 + 1), f"{i % 50 // 4 + 1}0{i % 4 + 1}")] for i in range(DEMO_HOUSEHOLDS)]
        self.households = [row["id"] for row in rows]
        rate = Decimal(self.tenant("GET", "", "firm-manager")["fee_rate_fen_per_sqm_month"])
        # A month's bill: area × rate, rounded half up to the fen, as the ledger bills it.
        self.fees = [int((row["area_centi_sqm"] * rate / 100).quantize(Decimal(1), ROUND_HALF_UP)) for row in rows]

    def grids(self) -> None:
        units = {"G1": ("一网格（1单元）", "1"), "G2": ("二网格（2单元）", "2"), "G3": ("三网格（3单元）", "3")}
        existing = {grid["code"] for grid in self.tenant("GET", "/grids", "firm-manager")}
        for grid, (name, unit) in units.items():
            if grid not in existing:
                self.tenant("POST", "/grids", "firm-manager", json={"code": grid, "name": name})
                members = [h for i, h in enumerate(self.households) if str(i // 50 % 4 + 1) == unit]
                self.tenant("POST", f"/grids/{grid}/households", "firm-manager", json={"household_ids": members})
        self.tenant("PUT", "/grids/G1/leaders", "firm-manager", json={"usernames": ["grid-leader"]}, ok=(204,))

    def residents(self) -> None:
        """The demo `resident` claims household 0 with its account; the owners of households 1-40
        claim theirs with new accounts, as the firm's invitations let them."""
        mine = self.tenant("GET", "/my-households", "resident")
        if self.households[RESIDENT_HOUSEHOLD] not in {h["id"] for h in mine}:
            code = self.invite(RESIDENT_HOUSEHOLD)
            self.tenant("POST", "/my-households", "resident", json={"claim_code": code})

        def claim(household: int) -> tuple[int, str | None]:
            username = f"owner-{self.code}-{household:03d}"
            members = self.tenant("GET", f"/households/{self.households[household]}/members", "firm-staff")
            if any(member["has_account"] for member in members):
                return household, username
            body = {
                "estate_code": self.code, "claim_code": self.invite(household), "username": username,
                "password": DEMO_PASSWORD, "email": f"{username}@xinyi.test",
                "first_name": f"{household:03d}", "last_name": "业主",
            }  # fmt: skip
            claimed = self.api.call("tenant", "POST", "/v1/invitations/claim", None, ok=(201, 409), json=body)
            if claimed.status_code == 201:  # public: the owner has no account yet
                return household, username
            # Keycloak made the account but timed out before the tenant heard back (a busy machine): the
            # account is there; the platform team makes it a member and the owner claims with it.
            self.api.call("tenant", "POST", f"/v1/estates/{self.code}/members", "platform-admin", ok=(204,),
                          json={"username": username})  # fmt: skip
            joined = self.api.call("tenant", "POST", f"/v1/estates/{self.code}/my-households", username,
                                   ok=(201, 403), json={"claim_code": body["claim_code"]})  # fmt: skip
            if joined.status_code == 403:
                self.say(f"{username} was left half-made by Keycloak (no resident role): its household has no account")
                return household, None
            return household, username

        claims = ThreadPoolExecutor(max_workers=4)  # Keycloak makes the accounts: a few at a time
        with claims:
            self.owners = {i: name for i, name in claims.map(claim, OWNERS) if name is not None}

    def invite(self, household: int) -> str:
        answer = self.tenant(
            "POST", f"/households/{self.households[household]}/invitations", "firm-staff",
            json={"contact": f"139{household:08d}", "relation": "owner"},
        )  # fmt: skip
        return str(answer["claim_code"])

    # The books ---------------------------------------------------------------------------------------

    def books(self) -> tuple[int, int, list[str]]:
        """Month by month, as it happened: the firm bills the month (a household's credit settles its
        bill at once), records that month's payments and common income, and the firm manager closes
        the month once it is over (while the next month is billed: closes run in order on their own)."""
        billed = paid = 0
        with ThreadPoolExecutor(max_workers=1) as closer:
            closes = []
            for period in self.periods:
                billed += self.bill(period)
                paid += self.payments(period)
                self.common_income(period)
                if period != self.current:
                    closes.append(closer.submit(self.close, period))
            return billed, paid, [close.result() for close in closes]

    def payments(self, period: str) -> int:
        """The month's payments of the households that owe: each pays up to the end of its cycle,
        except those in arrears (their last months) and a few who have not paid the current month
        yet; the demo resident pays this month and the next two at once."""
        owing = {h["household_id"] for h in self.ledger("GET", "/arrears?limit=1000", "firm-staff")["households"]}
        payers = [i for i, household in enumerate(self.households) if household in owing]
        return sum(in_parallel(lambda i: self.pay(i, period), payers))

    def close(self, period: str) -> str:
        """A month closes once (its statement says whether it is); each close signs a checkpoint."""
        if not self.ledger("GET", f"/statements/{period}", "firm-manager")["closed"]:
            self.ledger("POST", f"/periods/{period}/close", "firm-manager", key=self.key("close", period), json={})
        return period

    def bill(self, period: str) -> int:
        """A month billed before is not billed again (the same key answers the same job)."""
        started = self.api.call("ledger", "POST", f"/v1/estates/{self.code}/billing-runs", "firm-manager",
                                key=self.key("billing", period), json={"period": period}, ok=(202,))  # fmt: skip
        if started.headers.get("Idempotent-Replayed") == "true":
            return 0
        job = started.json()
        while job["status"] not in ("done", "failed"):  # billing is a background job: follow it
            time.sleep(0.1)
            job = self.api.json("ledger", "GET", f"/v1/billing-jobs/{job['job_id']}", "firm-manager")
        if job["status"] != "done":
            raise Refused(f"billing {period} failed: {job['failures']}")
        return int(job["households_billed"])

    def pay(self, i: int, period: str) -> int:
        if i in ARREARS and period >= add_months(self.current, 1 - ARREARS[i]):
            return 0
        if period == self.current and i in LATE_THIS_MONTH:
            return 0
        received = date(int(period[:4]), int(period[5:]), 3 + i * 7 % 23)
        if received > self.today:  # pays later this month
            return 0
        cycle = payment_cycle(i)
        months = cycle - (int(period[5:]) - 1) % cycle  # to the end of its month, quarter or year
        if period == self.current:
            months = PREPAYS.get(i, months)
        method = METHODS[i % len(METHODS)]
        made = self.api.call(
            "ledger", "POST", f"/v1/estates/{self.code}/payments", "firm-staff", key=self.key("pay", i, period),
            json={
                "household_id": self.households[i], "amount_fen": self.fees[i] * months, "method": method,
                "reference": f"{method}-{period}-{i:03d}",
                "received_on": received.isoformat(),
            },
        )  # fmt: skip
        return 0 if made.headers.get("Idempotent-Replayed") == "true" else 1

    def common_income(self, period: str) -> int:
        """The estate's common income, the owners' too: parking each month, the lifts' advertising each
        quarter, the activity room every other month (recorded on the day it came in)."""
        month, made = int(period[5:]), 0
        income = [("parking", 80_000 + 4_500 * ((month + 1) % 4), f"{month}月地面临时停车费", 5)]
        if month % 3 == 0:
            income.append(("advertising", 120_000, f"电梯广告位{month // 3}季度租金", 12))
        if month % 2 == 0:
            income.append(("venue_rent", 15_000, "活动室场地租用（舞蹈队）", 20))
        for kind, fen, what, day in income:
            received = date(int(period[:4]), month, day)
            if received > self.today:  # not yet received this month
                continue
            self.ledger("POST", "/common-income", "firm-staff", key=self.key("income", period, kind),
                        json={"kind": kind, "amount_fen": fen, "description": what,
                              "received_on": received.isoformat()})  # fmt: skip
            made += 1
        return made

    def put_budget_to_owners(self) -> None:
        """The firm manager drafts this year's two plans; the supervisor puts them to the owners; the
        owners vote (one household, one vote); the supervisor closes the ballot (the ledger adopts
        the winning plan when it learns of the result)."""
        year = self.today.year
        adopted = self.api.call("ledger", "GET", f"/v1/estates/{self.code}/budgets/{year}", "resident", ok=(200, 404))
        if adopted.status_code == 200:
            return
        income = sum(self.fees) * 12
        plans = [
            {
                "name": name,
                "fee_income_fen": income,
                # 85% of the fee income is the owners' to spend (15% is the firm's remuneration).
                "lines": [
                    {"account": account, "name": what, "amount_fen": income * share // 10_000}
                    for account, what, share in lines
                ],
            }
            for name, lines in PLANS.items()
        ]
        draft = self.ledger("POST", "/budget-drafts", "firm-manager", key=self.key("budget", year),
                            json={"year": year, "plans": plans, "large_expense_threshold_fen": 2_000_000})  # fmt: skip
        ballots = self.tenant("GET", "/ballots?limit=500", "supervisor")
        ballot = next((b for b in ballots if b["subject"] == draft["ballot_subject"]), None)
        if ballot is None:
            now = datetime.now(UTC)
            ballot = self.tenant(
                "POST", "/ballots", "supervisor",
                json={
                    "kind": "service_plan", "subject": draft["ballot_subject"],
                    "question": f"{year}年度物业服务方案及预算（以收定支）：请选择一个方案",
                    "options": list(PLANS), "quorum_bps": 2500, "threshold": "simple_majority",
                    "threshold_base": "votes_cast", "opens_at": (now - timedelta(minutes=1)).isoformat(),
                    "closes_at": (now + timedelta(days=14)).isoformat(),
                },
            )  # fmt: skip
        ballot = self.tenant("GET", f"/ballots/{ballot['id']}", "supervisor")
        if ballot["status"] != "closed":
            voters = [RESIDENT_HOUSEHOLD, *self.owners]
            in_parallel(
                lambda i: self.tenant(
                    "POST", f"/ballots/{ballot['id']}/votes", self.account_of(i), ok=(200, 201),
                    json={"option": "基础方案" if i % 3 == 0 else WINNING_PLAN},
                ),
                voters,
            )  # fmt: skip
            self.tenant("POST", f"/ballots/{ballot['id']}/close", "supervisor", json={"early": True})

    def adopted_budget(self) -> dict[str, Any]:
        """This year's budget, once the ledger has adopted the owners' choice."""
        return dict(
            eventually(
                lambda: (
                    self.api.call(
                        "ledger", "GET", f"/v1/estates/{self.code}/budgets/{self.today.year}", "resident", ok=(200, 404)
                    )
                    .json()
                    .get("plan")
                ),
                "the ledger to adopt the owners' plan",
            )
        )

    def register(self) -> list[dict[str, Any]]:
        return list(self.tenant("GET", f"/households?limit={DEMO_HOUSEHOLDS + 100}", "firm-manager")["households"])

    def open_ballot(self) -> None:
        """A question still open: the supervisor asks the owners about e-bike chargers."""
        subject = "proposal:ebike-charging"
        ballots = self.tenant("GET", "/ballots?limit=500", "supervisor")
        if any(b["subject"] == subject and b["closed_at"] is None for b in ballots):
            return
        now = datetime.now(UTC)
        opened = self.tenant(
            "POST", "/ballots", "supervisor",
            json={
                "subject": subject,
                "question": "是否在地下车库东侧增设电动自行车集中充电桩（约40个充电口，费用从公共收益列支）？",
                "options": ["同意", "不同意", "弃权"], "quorum_bps": 5000, "threshold": "two_thirds",
                "threshold_base": "votes_cast", "opens_at": (now - timedelta(minutes=1)).isoformat(),
                "closes_at": (now + timedelta(days=21)).isoformat(),
            },
        )  # fmt: skip
        in_parallel(
            lambda i: self.tenant(
                "POST", f"/ballots/{opened['id']}/votes", self.owners[i], ok=(200, 201),
                json={"option": "不同意" if i % 5 == 0 else "同意"},
            ),
            [i for i in range(OWNERS.start, OWNERS.start + 17) if i in self.owners],
        )  # fmt: skip

    def expenses(self, budget_lines: dict[str, int]) -> int:
        """This month's expenses on the adopted lines, each with its voucher: proposed by the firm's
        staff, approved by the supervisor (never the proposer), paid by the firm manager."""
        month = f"{int(self.current[:4])}年{int(self.current[5:])}月"
        made = 0
        for n, (account, payee, what, per_mille, kind) in enumerate(EXPENSES):
            if account not in budget_lines:
                continue
            amount = budget_lines[account] * per_mille // 1000
            description = what.format(month=month)
            if kind == "pdf":
                voucher = pdf(
                    "增值税普通发票（示例）",
                    [f"销售方：{payee}", "购买方：金河绿洲业主大会（信托财产）", f"项目：{description}",
                     f"金额：{yuan(amount)}", f"开票日期：{self.current}-01", f"凭证号：{self.key('voucher', n)}"],
                )  # fmt: skip
                name, media = f"发票-{self.current}-{n + 1}.pdf", "application/pdf"
            else:
                voucher, name, media = png(160, 100, 7 + n), f"收据-{self.current}-{n + 1}.png", "image/png"
            sha = self.ledger("POST", "/vouchers", "firm-staff", files={"file": (name, voucher, media)})["sha256"]
            expense = self.ledger(
                "POST", "/expenses", "firm-staff", key=self.key("expense", self.current, n),
                json={"payee": payee, "amount_fen": amount, "account": account, "description": description,
                      "vouchers": [sha]},
            )  # fmt: skip
            if expense["status"] == "proposed":
                expense = self.ledger("POST", f"/expenses/{expense['id']}/approve", "supervisor")
            if expense["status"] == "approved" and n != UNPAID:
                self.ledger("POST", f"/expenses/{expense['id']}/payment", "firm-manager")
            if n == QUESTIONED:
                self.question(expense["id"])
            made += 1
        return made

    def question(self, expense_id: str) -> None:
        questions = self.ledger("GET", f"/expenses/{expense_id}", "resident")["questions"]
        if not questions:
            questions = [self.ledger("POST", f"/expenses/{expense_id}/questions", "resident",
                                     json={"question": QUESTION})]  # fmt: skip
        for question in questions:
            if question["answer"] is None:
                self.ledger("POST", f"/expenses/{expense_id}/questions/{question['id']}/answer", "firm-manager",
                            json={"answer": ANSWER})  # fmt: skip

    # Tickets -----------------------------------------------------------------------------------------

    def report_tickets(self) -> dict[str, int]:
        """Residents report (one by phone, through the firm), the firm's staff answer and fix, the
        residents confirm and rate; one report is still open."""
        eventually(  # ticketing adopts the estate's service targets when it learns of the onboarding
            lambda: self.api.call(
                "ticketing", "GET", f"/v1/estates/{self.code}/service-targets", "firm-staff", ok=(200, 404)
            ).status_code == 200 or None,
            "ticketing to learn of the estate",
        )  # fmt: skip
        shown: dict[str, int] = {}
        for n, ticket in enumerate(TICKETS):
            if (
                ticket.reporter != "firm"
                and ticket.reporter not in self.owners
                and ticket.reporter != RESIDENT_HOUSEHOLD
            ):
                continue  # its owner has no account (see the notes)
            reporter = "firm-staff" if ticket.reporter == "firm" else self.account_of(int(ticket.reporter))
            body = {**ticket.body, "household_id": self.households[ticket.household]}
            if ticket.reporter != "firm":
                photo = self.tickets("POST", "/ticket-files", reporter,
                                     files={"file": (f"{ticket.key}.png", png(120, 90, 40 + n), "image/png")})  # fmt: skip
                body["photos"] = [photo["sha256"]]
            reported = self.tickets("POST", "/tickets", reporter, key=self.key("ticket", ticket.key), json=body)
            status = self.advance(reported, ticket, reporter, n)
            shown[status] = shown.get(status, 0) + 1
        return shown

    def advance(self, reported: dict[str, Any], ticket: Ticket, reporter: str, n: int) -> str:
        path, status = f"/tickets/{reported['id']}", reported["status"]
        steps = ["open", "acknowledged", "in_progress", "resolved", "confirmed"]
        notes = {"acknowledged": "已收到，维修师傅马上到", "in_progress": "师傅已到现场处理"}
        while status in steps and steps.index(status) < steps.index(ticket.until):
            following = steps[steps.index(status) + 1]
            if following in ("acknowledged", "in_progress"):
                action = "acknowledge" if following == "acknowledged" else "start"
                answer = self.tickets("POST", f"{path}/{action}", "firm-staff", json={"note": notes[following]})
            elif following == "resolved":
                fix = self.tickets("POST", "/ticket-files", "firm-staff",
                                   files={"file": (f"{ticket.key}-fixed.png", png(120, 90, 80 + n), "image/png")})  # fmt: skip
                answer = self.tickets("POST", f"{path}/resolve", "firm-staff",
                                      json={"note": "已处理完毕，请确认", "photos": [fix["sha256"]]})  # fmt: skip
            else:
                answer = self.tickets("POST", f"{path}/confirm", reporter,
                                      json={"score": ticket.score, "comment": ticket.comment})  # fmt: skip
            status = answer["status"] if "status" in answer else answer["ticket"]["status"]
        return str(status)

    # The community micro-fund ------------------------------------------------------------------------

    def micro_fund(self, closed: list[str]) -> dict[str, Any]:
        """Each month's close pledged the firm's donation to the community's fund (the ledger's
        DonationDeclared); the community officer records the firm's transfers against them (the last
        month's is still owed), a resident's and a shop's donation, and a resident group's grant:
        under the council's threshold, so the officer approves it, and pays it with the receipt."""
        officer = "community-officer"
        if len(closed) < 2:
            self.say("no month has closed before the last one yet, so the firm has no pledges to transfer")
        donations = {
            period: int(self.ledger("GET", f"/statements/{period}", "firm-manager")["donation_fen"])
            for period in closed
        }
        pledged = sum(donations.values())
        statement = eventually(
            lambda: next(
                (
                    s
                    for s in [self.fund("GET", "", officer)]
                    if sum(f["pledged_fen"] for f in s["firms"] if f["estate_code"] == self.code) >= pledged
                ),
                None,
            ),
            "the micro-fund to record the firm's pledges of the closed months",
            timeout=60,
        )
        # The firm transfers each month's donation on the 10th of the next month, the last one not yet.
        for period in closed[:-1]:
            following = add_months(period, 1)
            received = date(int(following[:4]), int(following[5:]), 10)
            if donations[period] and received <= self.today:
                self.fund("POST", "/donations", officer, key=self.key("fund-transfer", period),
                          json={"source": "firm", "estate_code": self.code, "amount_fen": donations[period],
                                "received_on": received.isoformat(),
                                "note": f"{self.code} {period} 酬金捐赠转账"})  # fmt: skip
        recorded = {(d["source"], d["amount_fen"], d["note"]) for d in statement["donations"]}
        for n, donation in enumerate(DONATIONS):
            if (donation["source"], donation["amount_fen"], donation["note"]) not in recorded:
                self.fund("POST", "/donations", officer, key=self.key("fund-donation", n),
                          json={**donation, "received_on": self.today.isoformat()})  # fmt: skip
        if statement["threshold_fen"] < FUND_THRESHOLD_FEN:
            self.fund("PUT", "/rule", officer, json={"threshold_fen": FUND_THRESHOLD_FEN})
        grant = next((g for g in self.fund("GET", "/grants?limit=500", officer) if g["title"] == GRANT["title"]), None)
        if grant is None:
            sketch = self.fund("POST", "/files", "resident",
                               files={"file": ("遮阳棚示意图.png", png(200, 120, 99), "image/png")})  # fmt: skip
            grant = self.fund(
                "POST", "/grants", "resident", key=self.key("grant"),
                json={**GRANT, "benefiting_estates": [self.code], "applicant_kind": "resident_group",
                      "group_name": "1栋1单元亲子互助小组", "attachments": [sketch["sha256"]]},
            )  # fmt: skip
        if grant["status"] == "applied":
            grant = self.fund("POST", f"/grants/{grant['id']}/review", officer,
                              json={"approve": True, "note": "金额在社区议事会授权额度内，同意资助"})  # fmt: skip
        if grant["status"] == "approved" and not grant["instalments"]:
            balance = self.fund("GET", "", officer)["balance_fen"]
            if balance >= grant["approved_fen"]:
                receipt = pdf(
                    "收款收据（示例）",
                    ["收款单位：成都某遮阳设施工程部", f"事由：{GRANT['title']}", f"金额：{yuan(grant['approved_fen'])}",
                     f"日期：{self.today.isoformat()}"],
                )  # fmt: skip
                sha = self.fund("POST", "/files", officer, files={"file": ("收据.pdf", receipt, "application/pdf")})
                self.fund("POST", f"/grants/{grant['id']}/disbursements", officer, key=self.key("grant-paid", 1),
                          json={"amount_fen": grant["approved_fen"], "receipt": sha["sha256"],
                                "paid_on": self.today.isoformat()})  # fmt: skip
            else:
                self.say(f"the grant waits for money: the fund holds {yuan(balance)}")
        return dict(self.fund("GET", "", officer))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--estate", default=DEMO_ESTATE["code"], help="estate code (default: the demo estate)")
    parser.add_argument("--name", default=DEMO_ESTATE["name"])
    parser.add_argument("--community", default=DEMO_ESTATE["community_code"], help="its community (created if new)")
    args = parser.parse_args()
    started = time.monotonic()
    today = datetime.now(TZ).date()
    api = Api()
    demo = Demo(api, args.estate, args.community, today)
    timings: dict[str, float] = {}

    def timed(name: str, work: Callable[[], Any]) -> Any:
        began = time.monotonic()
        result = work()
        timings[name] = time.monotonic() - began
        return result

    def the_books() -> tuple[int, int, list[str]]:
        """The firm's money in: bills, payments, income, and the closes of the months that ended."""
        books: tuple[int, int, list[str]] = timed("books", demo.books)
        return books

    def the_people() -> dict[str, int]:
        """Residents, the owners' ballots and their reports (the tenant and ticketing services)."""
        timed("residents", demo.residents)
        timed("budget ballot", demo.put_budget_to_owners)
        timed("open ballot", demo.open_ballot)
        return dict(timed("tickets", demo.report_tickets))

    try:
        with httpx.Client(base_url=http_url("tenant"), timeout=30) as tenant:
            register_hierarchy(tenant, api.token("platform-admin"))
            if args.community != DEMO_ESTATE["community_code"]:
                tenant.post(
                    f"/v1/sub-districts/{SUB_DISTRICT}/communities",
                    json={"code": args.community, "name": f"{args.community} 社区"},
                    headers=bearer(api.token("platform-admin")),
                ).raise_for_status()
        timed("estate", lambda: demo.onboard(args.name, add_months(month_of(today), -HISTORY_MONTHS)))
        timed("households", demo.import_households)
        timed("grids", demo.grids)
        # The books and the people touch different services: both at once.
        with ThreadPoolExecutor(max_workers=2) as pool:
            books, people = pool.submit(the_books), pool.submit(the_people)
            (billed, paid, closed), tickets = books.result(), people.result()
        budget = timed("budget adopted", demo.adopted_budget)
        lines = {line["account"]: line["amount_fen"] for line in budget["lines"]}
        timed("expenses", lambda: demo.expenses(lines))
        fund = timed("micro-fund", lambda: demo.micro_fund(closed))
        summary(demo, args.name, budget, tickets, fund, closed)
    except (Refused, httpx.HTTPError) as error:
        sys.exit(f"the demo data stopped: {error}")
    print(f"  this run: {api.writes} changes ({billed} bills, {paid} payments); a second run makes none")
    for line in demo.said:
        print(f"  note: {line}")
    slowest = sorted(timings.items(), key=lambda item: -item[1])[:4]
    print(f"  ({time.monotonic() - started:.0f} s; {', '.join(f'{name} {took:.0f} s' for name, took in slowest)})")


def summary(
    demo: Demo, name: str, budget: dict[str, Any], tickets: dict[str, int], fund: dict[str, Any], closed: list[str]
) -> None:
    """What the estate's pages now show, read back from the APIs."""
    statements = [demo.ledger("GET", f"/statements/{period}", "resident") for period in demo.periods]
    billed = sum(s["fees_billed_fen"] for s in statements)
    collected = sum(s["fees_collected_fen"] for s in statements)
    arrears = demo.ledger("GET", "/arrears?limit=1000", "firm-manager")
    checkpoints = demo.ledger("GET", "/log/checkpoints?limit=500", "firm-manager")
    expenses = demo.ledger("GET", "/expenses?limit=200", "resident")
    ballots = demo.tenant("GET", "/ballots?limit=500", "resident")
    grant = next(g for g in fund["grants"] if g["title"] == GRANT["title"])
    print(
        f"demo estate {demo.code} ({name}): books {demo.periods[0]} to {demo.current} ({len(demo.periods)} month{'s' if len(demo.periods) > 1 else ''}), "
        f"{len(demo.households)} households; `resident` lives in 1单元101, {len(demo.owners)} owners have accounts"
    )
    print(
        f"  fees billed {yuan(billed)}, collected {yuan(collected)}; arrears {yuan(arrears['total_fen'])} "
        f"({len(arrears['households'])} households); closing balance {yuan(statements[-1]['closing_balance_fen'])}"
    )
    print(
        f"  closed months: {len(closed)} ({closed[0] + ' to ' + closed[-1] if closed else 'none yet'}), "
        f"{len(checkpoints)} signed checkpoints; budget {demo.today.year}: {budget['name']}, adopted by ballot; "
        f"{len(expenses)} expenses with vouchers, a question answered"
    )
    print(
        f"  ballots: {sum(1 for b in ballots if b['closed_at'])} closed, {sum(1 for b in ballots if not b['closed_at'])} "
        f"open; tickets: {', '.join(f'{n} {s}' for s, n in sorted(tickets.items()))}; micro-fund {demo.community}: "
        f"{yuan(fund['balance_fen'])}, grant {grant['status']} ({yuan(grant['disbursed_fen'])} paid)"
    )


if __name__ == "__main__":
    main()
