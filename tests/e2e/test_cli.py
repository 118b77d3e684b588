"""The platform team's `xinyi` command against the running platform: onboard, import with a
progress bar, list, open and close a ballot. It talks to the HTTP API only, with a token."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.harness import COMMUNITY, DISTRICT, REPO_DIR, SUB_DISTRICT, household_csv, http_url, unique_code

XINYI = str(REPO_DIR / ".venv" / "bin" / "xinyi")


def xinyi(token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XINYI_TOKEN": token, "XINYI_TENANT_URL": http_url("tenant"), "NO_COLOR": "1"}
    return subprocess.run([XINYI, *args], env=env, capture_output=True, text=True, timeout=120)


def test_the_platform_team_runs_an_estate_from_the_command_line(admin_token, make_member, tmp_path: Path) -> None:
    code = unique_code("cli")
    onboarded = xinyi(
        admin_token,
        "estates",
        "onboard",
        code,
        "--name",
        "命令行小区",
        "--district",
        DISTRICT,
        "--sub-district",
        SUB_DISTRICT,
        "--community",
        COMMUNITY,
        "--fee-rate",
        "35.5",
    )
    assert onboarded.returncode == 0, onboarded.stderr
    listed = xinyi(admin_token, "estates", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    estate = next(e for e in json.loads(listed.stdout) if e["code"] == code)
    assert (estate["name"], estate["fee_rate_fen_per_sqm_month"]) == ("命令行小区", "35.5")

    _, manager = make_member(code, "firm_manager")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(household_csv(4, bad_lines={1: {"面积": "abc"}}))
    refused = xinyi(manager, "households", "import", code, str(bad))
    assert refused.returncode == 1
    assert "nothing was imported" in refused.stderr
    assert "面积" in refused.stderr

    good = tmp_path / "住户.csv"
    good.write_bytes(household_csv(300))
    imported = xinyi(manager, "households", "import", code, str(good))
    assert imported.returncode == 0, imported.stderr
    assert "imported 300 households" in imported.stdout

    _, supervisor = make_member(code, "supervisor")
    closes_at = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    opened = xinyi(
        supervisor,
        "ballots",
        "open",
        code,
        "--question",
        "是否更换电梯？",
        "--option",
        "同意",
        "--option",
        "反对",
        "--closes-at",
        closes_at,
        "--quorum-percent",
        "0",
        "--threshold",
        "simple_majority",
    )
    assert opened.returncode == 0, opened.stderr
    ballot_id = opened.stdout.strip()
    closed = xinyi(supervisor, "ballots", "close", code, ballot_id)
    # Closing before the announced time is refused with the service's reason, not a traceback.
    assert closed.returncode == 1
    assert "error:" in closed.stderr and "Traceback" not in closed.stderr

    suspended = xinyi(admin_token, "estates", "suspend", code, "--reason", "测试")
    assert suspended.returncode == 0, suspended.stderr
    assert xinyi(admin_token, "estates", "resume", code).returncode == 0


def test_the_cli_refuses_cleanly_without_a_valid_token() -> None:
    result = xinyi("not-a-token", "estates", "list")
    assert result.returncode == 1
    assert "token not accepted" in result.stderr
