"""The estates and accounts a benchmark run works on, made through the platform's own API, and the
removal of everything a run made.

Every code a run makes starts with ``xbench-<run id>-`` (estates, districts), so a run removes
exactly its own data; ``--cleanup`` removes what runs that died left behind (every ``xbench-``).
Estates made here are onboarded as the platform team would (``POST /v1/estates``: a Keycloak
organisation, ``EstateOnboarded``, the ledger opens the books), in a bench-only district
(``xbench``), with one bench firm manager who is a member of all of them. At the end each is
offboarded through the API (suspend, export, offboard: removes its Keycloak organisation), then
its rows are deleted from the four services' databases as the superuser (the ledger keeps an
offboarded estate's books by design; a benchmark's are of no use)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from bench.common import TokenSource, http_url
from bench.superuser import code_literal, psql
from tests.harness import KeycloakAdmin, household_csv

PREFIX = "xbench"
HIERARCHY = (
    ("/v1/districts", {"code": PREFIX, "name": "基准测试区"}),
    (f"/v1/districts/{PREFIX}/sub-districts", {"code": f"{PREFIX}-sub", "name": "基准街道"}),
    (f"/v1/sub-districts/{PREFIX}-sub/communities", {"code": f"{PREFIX}-c", "name": "基准社区"}),
)
SERVICE_DATABASES = ("tenant", "ledger", "ticketing", "microfund")


def new_run_id() -> str:
    return secrets.token_hex(3)


def estate_body(code: str) -> dict[str, object]:
    return {
        "code": code,
        "name": f"基准小区 {code}",
        "district_code": PREFIX,
        "sub_district_code": f"{PREFIX}-sub",
        "community_code": f"{PREFIX}-c",
        "firm_name": "基准物业",
    }


@dataclass
class BenchPlatform:
    """The run's API-made estates, its firm manager and the clients that reach the platform."""

    run_id: str
    admin: TokenSource = field(default_factory=lambda: TokenSource.user("platform-admin"))
    keycloak: KeycloakAdmin = field(default_factory=KeycloakAdmin.connect)
    onboarded: list[str] = field(default_factory=list)
    manager_username: str = ""
    manager_user_id: str = ""
    manager: TokenSource | None = None

    def __post_init__(self) -> None:
        self.tenant = httpx.Client(base_url=http_url("tenant"), timeout=120)
        self.ledger = httpx.Client(base_url=http_url("ledger"), timeout=120)

    @property
    def manager_tokens(self) -> TokenSource:
        if self.manager is None:
            raise RuntimeError("the bench manager does not exist yet")
        return self.manager

    @property
    def prefix(self) -> str:
        return f"{PREFIX}-{self.run_id}"

    def code(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    # Setting up ---------------------------------------------------------------------------------

    def register_hierarchy(self) -> None:
        for path, body in HIERARCHY:
            response = self.tenant.post(path, json=body, headers=self.admin.headers())
            if response.status_code not in (200, 201):
                raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")

    def create_manager(self) -> None:
        self.manager_username = f"{self.prefix}-manager"
        self.manager_user_id = self.keycloak.create_user(self.manager_username, "firm_manager")
        self.manager = TokenSource.user(self.manager_username)

    def onboard(self, code: str) -> httpx.Response:
        """POST /v1/estates; the code is remembered for the teardown before the call is made."""
        self.onboarded.append(code)
        response = self.tenant.post("/v1/estates", json=estate_body(code), headers=self.admin.headers())
        if response.status_code != 201:
            raise RuntimeError(f"onboarding {code}: {response.status_code} {response.text[:300]}")
        return response

    def add_manager(self, code: str) -> None:
        response = self.tenant.post(
            f"/v1/estates/{code}/members", json={"username": self.manager_username}, headers=self.admin.headers()
        )
        if response.status_code != 204:
            raise RuntimeError(f"membership in {code}: {response.status_code} {response.text[:300]}")

    def import_households(self, code: str, count: int) -> list[str]:
        response = self.tenant.post(
            f"/v1/estates/{code}/households/import",
            files={"file": ("households.csv", household_csv(count, prefix=code), "text/csv")},
            headers=self.manager_tokens.headers(),
        )
        if response.status_code != 201:
            raise RuntimeError(f"household import into {code}: {response.status_code} {response.text[:300]}")
        return [str(h) for h in response.json()["household_ids"]]

    def wait_for_books(self, code: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            response = self.ledger.get(f"/v1/estates/{code}/accounts", headers=self.manager_tokens.headers())
            if response.status_code == 200:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the ledger did not open the books of {code} in {timeout:.0f} s: {response.text}")
            time.sleep(0.2)

    def make_estates(self, households: dict[str, int]) -> dict[str, list[str]]:
        """Onboard an estate per name with that many households, the manager a member of all;
        returns each estate code's household ids once the ledger has opened its books."""
        codes = {self.code(name): count for name, count in households.items()}
        for code in codes:
            self.onboard(code)
            self.add_manager(code)
        # A fresh token: its organization claim must list the estates just joined.
        self.manager = TokenSource.user(self.manager_username)
        result = {code: self.import_households(code, count) if count else [] for code, count in codes.items()}
        for code in codes:
            self.wait_for_books(code)
        return result

    # Tearing down -------------------------------------------------------------------------------

    def offboard(self, code: str) -> str | None:
        """Suspend, export, offboard (removes the Keycloak organisation); the problem, if any."""
        headers = self.admin.headers()
        steps = [
            (f"/v1/estates/{code}/suspend", {"reason": "benchmark estate"}),
            (f"/v1/estates/{code}/export", None),
        ]
        try:
            for path, body in steps:
                response = self.tenant.post(path, json=body, headers=headers)
                if response.status_code not in (200, 201):
                    return f"{path}: {response.status_code} {response.text[:200]}"
            sha256 = response.json()["sha256"]
            response = self.tenant.post(
                f"/v1/estates/{code}/offboard", json={"archive_sha256": sha256}, headers=headers
            )
            if response.status_code != 200:
                return f"offboard: {response.status_code} {response.text[:200]}"
        except httpx.HTTPError as error:
            return f"{error.__class__.__name__}: {error}"
        return None

    def remove_organizations(self, prefix: str) -> int:
        """Keycloak organisations whose alias starts with ``prefix`` (for estates not offboarded)."""
        found = self.keycloak.client.get("/organizations", params={"search": prefix, "max": 1000}).json()
        removed = 0
        for organization in found:
            if str(organization.get("alias", "")).startswith(prefix):
                self.keycloak.client.delete(f"/organizations/{organization['id']}")
                removed += 1
        return removed

    def wait_for_offboarding(self, timeout: float = 60) -> None:
        """Until the ledger has consumed every EstateOffboarded of the run (its books say offboarded)."""
        codes = ", ".join(code_literal(code) for code in self.onboarded)
        if not codes:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = psql(
                f"SELECT count(*) FROM trust_books WHERE estate_code IN ({codes}) AND status <> 'offboarded'", "ledger"
            )
            if int(rows[0][0]) == 0:
                return
            time.sleep(1)

    def teardown(self) -> list[str]:
        """Offboard the run's estates, remove their rows and the bench manager; the problems seen.
        Each step runs whatever became of the previous one (the platform may be half down: others
        restart components while they work), and the rows are removed in any case."""
        problems = []
        for code in self.onboarded:
            problem = self.offboard(code)
            if problem:
                problems.append(f"{code}: {problem}")

        def attempt(what: str, step: Callable[[], object]) -> None:
            try:
                step()
            except Exception as error:  # noqa: BLE001 - the other steps still run
                problems.append(f"{what}: {error.__class__.__name__}: {error}")

        if problems:
            attempt("removing Keycloak organisations", lambda: self.remove_organizations(f"{self.prefix}-"))
        else:
            attempt("waiting for the ledger to offboard", self.wait_for_offboarding)
        attempt("removing rows", lambda: purge(self.prefix))
        time.sleep(3)
        attempt("removing late rows", lambda: purge(self.prefix))  # processed_events of the last events
        if self.manager_user_id:
            attempt("removing the bench manager", lambda: self.keycloak.delete_user(self.manager_user_id))
        self.tenant.close()
        self.ledger.close()
        return problems


def purge(prefix: str) -> dict[str, int]:
    """Delete every row whose estate (or district) code starts with ``prefix`` from the four
    services' databases, as the superuser with triggers off (the journal is append-only by trigger).
    Tables are found by their ``estate_code`` / ``district_code`` columns, so new tables are covered;
    the ledger's per-estate entry sequences are dropped with the estates."""
    if not prefix.startswith(f"{PREFIX}-") and prefix != PREFIX:
        raise ValueError(f"refusing to purge {prefix!r}: not a benchmark prefix")
    quoted = code_literal(prefix)
    deleted: dict[str, int] = {}
    for database in SERVICE_DATABASES:
        rows = psql(
            f"""
SET LOCAL session_replication_role = replica;
CREATE TEMP TABLE purged (tbl text, n bigint) ON COMMIT DROP;
DO $$
DECLARE t record; e record; n bigint;
BEGIN
  -- The ledger numbers each estate's entries from a sequence of its own (estate_seq_<md5(code)>).
  IF to_regclass('public.trust_books') IS NOT NULL THEN
    FOR e IN SELECT estate_code FROM trust_books WHERE starts_with(estate_code, {quoted}) LOOP
      EXECUTE format('DROP SEQUENCE IF EXISTS %I', 'estate_seq_' || md5(e.estate_code));
    END LOOP;
  END IF;
  FOR t IN
    SELECT c.table_name,
           string_agg(format('starts_with(%I, %L)', c.column_name, {quoted}), ' OR ') AS matches
    FROM information_schema.columns c
    JOIN information_schema.tables b ON b.table_schema = c.table_schema AND b.table_name = c.table_name
    WHERE c.table_schema = 'public' AND b.table_type = 'BASE TABLE'
      AND c.column_name IN ('estate_code', 'district_code')
    GROUP BY c.table_name
  LOOP
    EXECUTE format('DELETE FROM %I WHERE %s', t.table_name, t.matches);
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO purged VALUES (t.table_name, n);
  END LOOP;
  IF to_regclass('public.communities') IS NOT NULL THEN
    DELETE FROM communities WHERE starts_with(code, {quoted});
    DELETE FROM sub_districts WHERE starts_with(code, {quoted});
    DELETE FROM districts WHERE starts_with(code, {quoted});
  END IF;
END $$;
SELECT coalesce(sum(n), 0) FROM purged;
""",
            database,
        )
        deleted[database] = int(rows[-1][0]) if rows else 0
    return deleted
