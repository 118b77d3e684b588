"""The time a service works by: the system's, or (for tests that control time) a moment read from a file.

Services that act on their own at deadlines (ticketing's breach scheduler) take ``now`` from a
:class:`Clock` rather than from ``datetime.now``, so end-to-end tests can run a ticket reported at
02:00 through its deadlines in seconds. The controlled clock is off unless a service is started with
``XINYI_CLOCK_FILE``; the file holds ``{"now": "<RFC 3339 moment>"}`` and while it exists time stands
at that moment for every replica that reads it (a missing or unreadable file: the system's time).
Tokens are still checked against the system's time.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from threading import Lock
from typing import Protocol

log = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FileClock:
    """The moment written in ``path`` (re-read when the file changes), else the system's time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = Lock()
        self._seen: tuple[int, int] | None = None
        self._moment: datetime | None = None

    def now(self) -> datetime:
        try:
            stat = self.path.stat()
        except OSError:
            return datetime.now(UTC)
        signature = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if signature != self._seen:
                self._moment = _read_moment(self.path)
                self._seen = signature
            moment = self._moment
        return moment if moment is not None else datetime.now(UTC)

    @staticmethod
    def set(path: Path, moment: datetime) -> None:
        """Stop time at ``moment`` for every service reading ``path`` (written atomically)."""
        if moment.tzinfo is None:
            raise ValueError("a controlled moment needs a time zone")
        scratch = path.with_name(f".{path.name}.{os.getpid()}")
        scratch.write_text(json.dumps({"now": moment.astimezone(UTC).isoformat()}))
        scratch.replace(path)


def _read_moment(path: Path) -> datetime | None:
    try:
        moment = datetime.fromisoformat(json.loads(path.read_text())["now"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("clock file %s is unreadable (%s): using the system's time", path, error)
        return None
    if moment.tzinfo is None:
        log.warning("clock file %s holds a moment without a time zone: using the system's time", path)
        return None
    return moment.astimezone(UTC)


def clock_from_setting(clock_file: str) -> Clock:
    if not clock_file:
        return SystemClock()
    log.warning("time is controlled by %s (a test set-up): never run a real estate like this", clock_file)
    return FileClock(Path(clock_file))
