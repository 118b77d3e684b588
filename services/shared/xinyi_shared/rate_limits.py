"""Rate limits whose counters live in PostgreSQL, so that they hold across every worker process and
replica of a service.

Fixed windows: a request increments the counter of ``(scope, key, window start)``, one
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on the database's clock (every replica agrees on the
window); past ``limit`` it is refused with :class:`RateLimited`, which the HTTP layer answers with 429
and ``Retry-After`` (the seconds until the window ends). A burst can straddle two windows (up to twice
the limit within a few seconds), the usual price of fixed windows. Old windows are pruned as requests
come. The table (:data:`COUNTERS_TABLE`) is created by the service's own migration (the tenant's
``0005_rate_limit_counters``); it holds no estate data, so it has no row-level security.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine, text

from xinyi_shared.errors import XinyiError

log = logging.getLogger(__name__)

COUNTERS_TABLE = "rate_limit_counters"
# Windows older than this are deleted; longer than any window in use.
KEEP_SECONDS = 600
# How often one process prunes at most.
PRUNE_EVERY_SECONDS = 60.0

_HIT = text(
    f"""
    INSERT INTO {COUNTERS_TABLE} AS c (scope, key, window_start, count)
    VALUES (
        :scope, :key,
        to_timestamp(floor(extract(epoch FROM clock_timestamp()) / :window) * :window),
        1
    )
    ON CONFLICT (scope, key, window_start) DO UPDATE SET count = c.count + 1
    RETURNING c.count,
        greatest(1, ceil(extract(epoch FROM c.window_start - clock_timestamp()) + :window))::int AS retry_after
    """
)
_COUNT = text(
    f"""
    SELECT c.count,
        greatest(1, ceil(extract(epoch FROM c.window_start - clock_timestamp()) + :window))::int AS retry_after
    FROM {COUNTERS_TABLE} c
    WHERE c.scope = :scope AND c.key = :key
      AND c.window_start = to_timestamp(floor(extract(epoch FROM clock_timestamp()) / :window) * :window)
    """
)
_PRUNE = text(f"DELETE FROM {COUNTERS_TABLE} WHERE window_start < clock_timestamp() - make_interval(secs => :keep)")


class RateLimited(XinyiError):
    """Too many requests in the current window; ``retry_after`` is the seconds until it ends."""

    http_status = 429
    code = "rate_limited"

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason, {"retry_after": retry_after})
        self.retry_after = retry_after


@dataclass(frozen=True)
class Quota:
    """At most ``limit`` requests per ``window_seconds`` for each key of ``scope``."""

    scope: str
    limit: int
    window_seconds: int = 60
    # What the refusal says (no key in it: the key may be the caller's address).
    reason: str = "too many requests"

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_seconds < 1:
            raise ValueError("a quota needs a positive limit and window")


class RateLimiter:
    """Counts requests against quotas in the service's database (``engine``: its app role)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._next_prune = 0.0

    def hit(self, quota: Quota, key: str) -> int:
        """Counts one request of ``key``; raises :class:`RateLimited` past the quota, else returns the
        count in the window so far."""
        with self.engine.begin() as connection:
            count, retry_after = connection.execute(
                _HIT, {"scope": quota.scope, "key": key, "window": quota.window_seconds}
            ).one()
            if self._prune_due():
                connection.execute(_PRUNE, {"keep": max(KEEP_SECONDS, 2 * quota.window_seconds)})
        if count > quota.limit:
            log.info("rate limited", extra={"scope": quota.scope, "retry_after": retry_after})
            raise RateLimited(quota.reason, int(retry_after))
        return int(count)

    def check(self, quota: Quota, key: str) -> None:
        """Refuses (:class:`RateLimited`) when ``key`` has used up its quota in the current window,
        without counting this request (see :meth:`hit` for counting)."""
        with self.engine.connect() as connection:
            row = connection.execute(_COUNT, {"scope": quota.scope, "key": key, "window": quota.window_seconds}).first()
            connection.commit()  # a read: a rollback would unprepare the connection's statements
        if row is None:
            return
        count, retry_after = row
        if count >= quota.limit:
            log.info("rate limited", extra={"scope": quota.scope, "retry_after": retry_after})
            raise RateLimited(quota.reason, int(retry_after))

    def _prune_due(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if now < self._next_prune:
                return False
            self._next_prune = now + PRUNE_EVERY_SECONDS
            return True
