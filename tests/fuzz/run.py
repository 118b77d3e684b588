"""The fuzzing gate (`make fuzz`, run by .ci/run): schemathesis against every service's OpenAPI
document on the running platform, as several roles, within a time budget. Any server error (5xx)
or response that breaks the declared schema fails it.

    .venv/bin/python -m tests.fuzz.run [--budget 180] [--max-examples 25] [--checks ...]
        [--services tenant,ledger] [--roles platform-admin,firm-manager]

Roles: the platform administrator (the demo account ``platform-admin``), and a firm manager and a
resident of an estate onboarded for this run, with households, a billing run and a payment, so that
the operations behind authorisation run on real data while the fuzzer's writes stay in an estate
of its own (never the demo estate or another test's; see tests/fuzz/hooks.py). Their Keycloak
accounts are removed afterwards; the estate stays, like the end-to-end tests' estates.

Each service × role is one ``schemathesis run`` with ``--max-examples`` cases per operation per
cycle and a share of the budget (by number of operations) as ``--max-time``; reports, logs and the
example database (which replays earlier failures first) are in $XINYI_STATE/fuzz/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from tests.harness import (
    COMMUNITY,
    DISTRICT,
    REPO_DIR,
    SERVICES,
    STATE_DIR,
    SUB_DISTRICT,
    KeycloakAdmin,
    bearer,
    eventually,
    household_csv,
    http_url,
    register_hierarchy,
    run_billing,
    unique_code,
    user_token,
)

DEFAULT_CHECKS = "not_a_server_error,response_schema_conformance"
ROLES = ("platform-admin", "firm-manager", "resident")
HOOKS = Path(__file__).resolve().parent / "hooks.py"
FUZZ_DIR = STATE_DIR / "fuzz"
MIN_SECONDS_PER_RUN = 10


@dataclass
class Estate:
    code: str
    usernames: dict[str, str]  # role → Keycloak username
    households: list[str]


@dataclass
class Outcome:
    service: str
    role: str
    exit_code: int
    seconds: float
    log: Path
    failures: list[tuple[str, str, list[str]]]  # (code, title, operations)
    errors: list[str]


def token(username: str, timeout: float = 180) -> str:
    """``username``'s access token, waiting for Keycloak while it is restarting."""

    def fetch() -> str | None:
        try:
            return user_token(username)
        except httpx.TransportError:
            return None

    return eventually(fetch, timeout=timeout, what=f"a token of {username} from Keycloak")


def prepare_estate(keycloak: KeycloakAdmin, user_ids: list[str]) -> Estate:
    """An estate of the run's own with a firm manager, a resident (their Keycloak ids appended to
    ``user_ids``), households, bills and a payment."""
    admin = token("platform-admin")
    code = unique_code("fuzz")
    estate = Estate(code, {"platform-admin": "platform-admin"}, [])
    with httpx.Client(base_url=http_url("tenant"), timeout=60) as tenant:
        register_hierarchy(tenant, admin)
        onboarded = tenant.post(
            "/v1/estates",
            json={
                "code": code,
                "name": f"模糊测试 {code}",
                "district_code": DISTRICT,
                "sub_district_code": SUB_DISTRICT,
                "community_code": COMMUNITY,
            },
            headers=bearer(admin),
        )
        onboarded.raise_for_status()
        for role, realm_role in (("firm-manager", "firm_manager"), ("resident", "resident")):
            username = f"{role}-{code}"
            user_ids.append(keycloak.create_user(username, realm_role))
            estate.usernames[role] = username
            tenant.post(
                f"/v1/estates/{code}/members", json={"username": username}, headers=bearer(admin)
            ).raise_for_status()
        manager = bearer(token(estate.usernames["firm-manager"]))
        tenant.post(
            f"/v1/estates/{code}/households/import",
            files={"file": ("fuzz.csv", household_csv(12, prefix="模糊"), "text/csv")},
            headers=manager,
        ).raise_for_status()
        listed = tenant.get(f"/v1/estates/{code}/households", params={"limit": 50}, headers=manager)
        listed.raise_for_status()
        estate.households = [str(item["id"]) for item in listed.json()["households"]]

    def books_open() -> bool | None:
        answer = httpx.get(f"{http_url('ledger')}/v1/estates/{code}/accounts", headers=manager, timeout=10)
        return True if answer.status_code == 200 else None

    eventually(books_open, timeout=90, what=f"the trust books of {code}")
    # Bills and a payment, so that the ledger's listings answer with entries to check against their
    # schemas. Best effort: without them the run still fuzzes every operation, on emptier books.
    period = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    with httpx.Client(base_url=f"{http_url('ledger')}/v1/estates/{code}", headers=manager, timeout=60) as ledger:
        try:
            job = run_billing(ledger, "/billing-runs", period, f"fuzz-{uuid.uuid4()}")
            if job["status"] != "done":
                raise RuntimeError(f"the billing job ended {job['status']}")
        except (AssertionError, RuntimeError, httpx.HTTPError) as error:
            print(f"warning: could not bill the fuzzing estate for {period}: {error}")
        paid = ledger.post(
            "/payments",
            json={
                "household_id": estate.households[0],
                "amount_fen": 5000,
                "method": "wechat_pay",
                "reference": "fuzz",
                "received_on": datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat(),
            },
            headers={"Idempotency-Key": f"fuzz-{uuid.uuid4()}"},
        )
        if paid.status_code != 201:
            print(f"warning: could not record a payment in the fuzzing estate: {paid.status_code} {paid.text}")
    return estate


def operation_count(service: str) -> int:
    document = httpx.get(f"{http_url(service)}/openapi.json", timeout=30).raise_for_status().json()
    methods = {"get", "put", "post", "delete", "patch", "head", "options"}
    return sum(1 for item in document["paths"].values() for method in item if method in methods)


def fuzz(service: str, role: str, estate: Estate, seconds: int, args: argparse.Namespace) -> Outcome:
    """One ``schemathesis run`` of ``service`` as ``role``: its log and what it found."""
    name = f"{service}-{role}"
    report_dir = FUZZ_DIR / "reports" / name
    shutil.rmtree(report_dir, ignore_errors=True)
    report_dir.mkdir(parents=True)
    log = FUZZ_DIR / f"{name}.log"
    access_token = token(estate.usernames[role])  # fresh: it outlives the run
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{http_url(service)}/openapi.json",
        "--header",
        f"Authorization: Bearer {access_token}",
        "--checks",
        args.checks,
        "--max-examples",
        str(args.max_examples),
        "--max-time",
        str(seconds),
        "--request-timeout",
        "30",
        "--generation-database",
        str(FUZZ_DIR / "examples"),
        "--report",
        "json,junit",
        "--report-dir",
        str(report_dir),
        "--no-color",
    ]
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HOOKS),
        "XINYI_FUZZ_ESTATE": estate.code,
        "XINYI_FUZZ_HOUSEHOLDS": ",".join(estate.households),
    }
    started = time.monotonic()
    with log.open("w") as output:
        # The budget is schemathesis' own --max-time; the timeout only guards against a hang.
        finished = subprocess.run(
            command, stdout=output, stderr=subprocess.STDOUT, env=environment, cwd=REPO_DIR, timeout=seconds + 300
        )
    elapsed = time.monotonic() - started
    failures: list[tuple[str, str, list[str]]] = []
    errors: list[str] = []
    reports = sorted(report_dir.glob("json-*.json"))
    if reports:
        report = json.loads(reports[-1].read_text())
        failures = [(item["code"], item["title"], item["operations"]) for item in report.get("failures", [])]
        errors = [f"{item['title']} ×{item['count']}" for item in report.get("errors", [])]
    elif finished.returncode:
        errors = [f"no report (exit {finished.returncode}); see {log}"]
    return Outcome(service, role, finished.returncode, elapsed, log, failures, errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=180, help="seconds of fuzzing in all (default 180)")
    parser.add_argument("--max-examples", type=int, default=25, help="cases per operation per cycle (default 25)")
    parser.add_argument("--checks", default=DEFAULT_CHECKS, help=f"schemathesis checks (default {DEFAULT_CHECKS})")
    parser.add_argument("--services", default=",".join(SERVICES))
    parser.add_argument("--roles", default=",".join(ROLES))
    args = parser.parse_args(argv)
    services = [service for service in args.services.split(",") if service]
    roles = [role for role in args.roles.split(",") if role]
    unknown = (set(services) - set(SERVICES)) | (set(roles) - set(ROLES))
    if unknown:
        parser.error(f"unknown service or role: {', '.join(sorted(unknown))}")
    FUZZ_DIR.mkdir(parents=True, exist_ok=True)

    operations = {service: operation_count(service) for service in services}
    total = sum(operations.values()) * len(roles)
    shares = {service: max(MIN_SECONDS_PER_RUN, args.budget * count // total) for service, count in operations.items()}
    keycloak = KeycloakAdmin.connect()
    outcomes: list[Outcome] = []
    user_ids: list[str] = []
    try:
        estate = prepare_estate(keycloak, user_ids)
        print(f"fuzzing estate {estate.code} ({len(estate.households)} households); checks {args.checks}")
        for service in services:
            for role in roles:
                outcome = fuzz(service, role, estate, shares[service], args)
                outcomes.append(outcome)
                verdict = "passed" if outcome.exit_code == 0 else "FAILED"
                print(
                    f"  {service:<10} as {role:<15} {verdict} in {outcome.seconds:4.0f}s  ({outcome.log})", flush=True
                )
    finally:
        token("platform-admin")  # Keycloak answers again
        for user_id in user_ids:
            keycloak.delete_user(user_id)
        keycloak.client.close()

    failed = [outcome for outcome in outcomes if outcome.exit_code != 0]
    if not failed:
        print(f"fuzzing gate passed: {len(outcomes)} runs without a failure")
        return 0
    print("\nWhat the fuzzer found (service, role: check → operations):")
    for outcome in failed:
        for code, title, found_on in outcome.failures:
            print(f"  {outcome.service}, {outcome.role}: {code} {title}")
            for operation in found_on:
                print(f"      {operation}")
        for error in outcome.errors:
            print(f"  {outcome.service}, {outcome.role}: error: {error}")
    for outcome in failed:
        print(f"\n{'=' * 30} {outcome.service} as {outcome.role}: {outcome.log} {'=' * 30}")
        print(outcome.log.read_text(errors="replace"))
    print(f"fuzzing gate FAILED: {len(failed)} of {len(outcomes)} runs found failures")
    return 1


if __name__ == "__main__":
    sys.exit(main())
