"""A failed run against the platform leaves a short diagnosis (tests/diagnostics.py) for CI's output."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

_STARTED = datetime.now()  # the services log their local time


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("XINYI_TEST_DIAGNOSTICS")
    if not target or exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        return
    from tests.diagnostics import write_diagnostics

    write_diagnostics(Path(target), _STARTED)
