"""Raw PostgreSQL on the platform's own cluster, measured with Debian's pgbench: the yardstick every
platform figure is divided by.

A scratch database (``xinyi_bench``, owned by a scratch login role of the same name) is created on
the cluster the services use, reached over TCP on 127.0.0.1 like the services reach theirs, and
dropped at the end. Three custom scripts (``pgbench -n -f``):

- ``two_row``: BEGIN; two INSERTs; COMMIT — what a payment would cost if it were only its rows;
  transactions/s, and p50/p99 latency from pgbench's per-transaction log (``-l``);
- ``hot_row``: BEGIN; SELECT … FOR UPDATE of one row; two INSERTs; UPDATE of that row; COMMIT —
  the ceiling for postings that one estate must serialise;
- ``batch_1000``: one INSERT … SELECT generate_series(1, 1000) per transaction — rows/s.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench.common import PORTS, percentile
from bench.superuser import postgres_binary, psql_autocommit

DATABASE = ROLE = "xinyi_bench"

SCHEMA = """
CREATE TABLE bench_rows (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  k bigint NOT NULL,
  amount_fen bigint NOT NULL,
  posted_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE bench_hot (id int PRIMARY KEY, balance_fen bigint NOT NULL);
INSERT INTO bench_hot VALUES (1, 0);
"""

SCRIPTS = {
    "two_row": """\\set k random(1, 1000000000)
BEGIN;
INSERT INTO bench_rows (k, amount_fen) VALUES (:k, 100);
INSERT INTO bench_rows (k, amount_fen) VALUES (:k, -100);
COMMIT;
""",
    "hot_row": """\\set k random(1, 1000000000)
BEGIN;
SELECT balance_fen FROM bench_hot WHERE id = 1 FOR UPDATE;
INSERT INTO bench_rows (k, amount_fen) VALUES (:k, 100);
INSERT INTO bench_rows (k, amount_fen) VALUES (:k, -100);
UPDATE bench_hot SET balance_fen = balance_fen + 100 WHERE id = 1;
COMMIT;
""",
    "batch_1000": """\\set k random(1, 1000000000)
INSERT INTO bench_rows (k, amount_fen) SELECT :k + g, 100 FROM generate_series(1, 1000) AS g;
""",
}
ROWS_PER_TRANSACTION = {"two_row": 2, "hot_row": 2, "batch_1000": 1000}


@dataclass(frozen=True)
class PgbenchResult:
    script: str
    clients: int
    seconds: float
    transactions: int
    failed: int
    tps: float
    rows_per_second: float
    latencies_ms: list[float] = field(repr=False, default_factory=list)

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_ms, 0.50)

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 0.99)


class Pgbench:
    """The scratch database and the pgbench runs against it (use as a context manager)."""

    def __init__(self, threads: int | None = None) -> None:
        self.password = secrets.token_hex(16)
        self.threads = threads or max(1, os.cpu_count() or 1)
        self._workdir = Path(tempfile.mkdtemp(prefix="xinyi-pgbench-"))
        self.binary = postgres_binary("pgbench")

    def __enter__(self) -> Pgbench:
        self.drop()  # a previous run that died leaves them behind
        psql_autocommit(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{self.password}'")
        psql_autocommit(f"CREATE DATABASE {DATABASE} OWNER {ROLE} TEMPLATE template0")
        for name, body in SCRIPTS.items():
            (self._workdir / f"{name}.sql").write_text(body)
        with self._connect() as connection:
            connection.execute(SCHEMA)
        return self

    def __exit__(self, *exc: object) -> None:
        self.drop()
        for path in self._workdir.iterdir():
            path.unlink()
        self._workdir.rmdir()

    @staticmethod
    def drop() -> None:
        psql_autocommit(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        psql_autocommit(f"DROP ROLE IF EXISTS {ROLE}")

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1",
            port=PORTS["POSTGRES_PORT"],
            dbname=DATABASE,
            user=ROLE,
            password=self.password,
            autocommit=True,
        )

    def run(self, script: str, clients: int, seconds: float) -> PgbenchResult:
        """One pgbench run of ``script``; the table is emptied first so every run starts alike."""
        with self._connect() as connection:
            connection.execute("TRUNCATE bench_rows")
            connection.execute("UPDATE bench_hot SET balance_fen = 0")
            connection.execute("VACUUM ANALYZE bench_hot")
        for old in self._workdir.glob("log.*"):
            old.unlink()
        command = [
            self.binary,
            "-h",
            "127.0.0.1",
            "-p",
            str(PORTS["POSTGRES_PORT"]),
            "-U",
            ROLE,
            "-n",
            "-c",
            str(clients),
            "-j",
            str(min(clients, self.threads)),
            "-T",
            str(max(1, round(seconds))),
            "-f",
            str(self._workdir / f"{script}.sql"),
            "-l",
            f"--log-prefix={self._workdir / 'log'}",
            DATABASE,
        ]
        completed = subprocess.run(
            command,
            env={**os.environ, "PGPASSWORD": self.password},
            cwd=self._workdir,
            capture_output=True,
            text=True,
            timeout=seconds + 120,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"pgbench {script} failed: {completed.stderr.strip() or completed.stdout.strip()}")
        return self._result(script, clients, completed.stdout)

    def _result(self, script: str, clients: int, output: str) -> PgbenchResult:
        def number(pattern: str, default: float | None = None) -> float:
            found = re.search(pattern, output)
            if found is None:
                if default is None:
                    raise RuntimeError(f"pgbench output without {pattern!r}:\n{output}")
                return default
            return float(found.group(1))

        tps = number(r"tps = ([0-9.]+) \(without initial connection time\)")
        latencies = []
        for log in self._workdir.glob("log.*"):
            for line in log.read_text().splitlines():
                fields = line.split()
                # client_id transaction_no time(µs) script_no time_epoch time_us [...]; "failed"/"skipped" otherwise
                if len(fields) >= 3 and fields[2].isdigit():
                    latencies.append(int(fields[2]) / 1000)
        return PgbenchResult(
            script=script,
            clients=clients,
            seconds=number(r"duration: ([0-9.]+) s"),
            transactions=int(number(r"number of transactions actually processed: ([0-9]+)")),
            failed=int(number(r"number of failed transactions: ([0-9]+)", 0)),
            tps=tps,
            rows_per_second=tps * ROWS_PER_TRANSACTION[script],
            latencies_ms=latencies,
        )


if __name__ == "__main__":  # a quick look: .venv/bin/python -m bench.pgbench_baseline
    with Pgbench() as pgbench:
        for name, clients in (("two_row", 8), ("hot_row", 8), ("batch_1000", 2)):
            r = pgbench.run(name, clients, 5)
            print(
                f"{name:10} {clients:2} clients  {r.tps:9,.0f} tx/s  {r.rows_per_second:11,.0f} rows/s  "
                f"p50 {r.p50_ms:6.2f} ms  p99 {r.p99_ms:6.2f} ms  failed {r.failed}"
            )
