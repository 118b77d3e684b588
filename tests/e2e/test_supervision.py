"""The native services run under supervisord (deploy/services.sh): one killed with ``kill -9`` is back
within seconds, as a new process, without anyone starting it."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx
import pytest

from tests.harness import REPO_DIR, STATE_DIR, http_url

# Not the ledger or the tenant: the other end-to-end tests lean on them at the same time. The
# micro-fund's consumer catches up on the events it missed when it is back (they are redelivered).
SERVICE = "microfund"
BACK_WITHIN_SECONDS = 30


def supervisorctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO_DIR / "deploy" / "services.sh"), "ctl", *args], capture_output=True, text=True, timeout=60
    )


def supervised_pid(service: str) -> int:
    """The service's pid as supervisord knows it; 0 while it does not run."""
    answer = supervisorctl("pid", service)
    return int(answer.stdout.strip()) if answer.stdout.strip().isdigit() else 0


def ready(service: str) -> bool:
    try:
        return httpx.get(f"{http_url(service)}/health/ready", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def state(service: str) -> str:
    """RUNNING, STARTING, BACKOFF, EXITED, FATAL … as supervisord sees the service."""
    fields = supervisorctl("status", service).stdout.split()
    return fields[1] if len(fields) > 1 else "UNKNOWN"


def running(service: str, timeout: float) -> tuple[int, float]:
    """Waits until supervisord has the service RUNNING (started for startsecs) and it is ready;
    its pid and how long that took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        pid = supervised_pid(service)
        if pid and state(service) == "RUNNING" and ready(service):
            return pid, time.monotonic() - started
        time.sleep(0.5)
    status = supervisorctl("status", service)
    pytest.fail(f"{service} not running and ready within {timeout}s: {status.stdout.strip()} {status.stderr.strip()}")


def test_a_service_killed_with_its_workers_is_restarted_as_a_new_process() -> None:
    status = supervisorctl("status", SERVICE)
    assert status.stdout.split()[1:2] in (["RUNNING"], ["STARTING"]), (
        f"{SERVICE} does not run under supervisord (make up starts it): {status.stdout}{status.stderr}"
    )
    pid, _ = running(SERVICE, BACK_WITHIN_SECONDS)
    pidfile = STATE_DIR / "services" / f"{SERVICE}.pid"
    assert int(pidfile.read_text()) == pid, "the pid file names the process supervisord runs"
    # A process group of its own (supervisord's stopasgroup/killasgroup act on it): killing the group
    # kills the service's master and workers and nothing else.
    assert os.getpgid(pid) == pid

    os.killpg(pid, signal.SIGKILL)
    new_pid, back_after = running(SERVICE, BACK_WITHIN_SECONDS)
    print(f"{SERVICE} running and ready {back_after:.1f}s after kill -9, pid {pid} -> {new_pid}")

    assert new_pid != pid
    assert not group_alive(pid), "every process of the killed service is gone"
    assert int(pidfile.read_text()) == new_pid, "the pid file follows the restart"
