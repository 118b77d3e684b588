"""The cluster's superuser for the benchmark's setup: `psql` as the `postgres` operating-system user
over the unix socket (peer authentication), as deploy/postgres.sh does. Used for the scratch
database, the SQL-made billing district and removing what the benchmark created."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from bench.common import PORTS

SOCKET_DIR = "/var/run/postgresql"
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def as_postgres(command: list[str]) -> list[str]:
    """``command`` run as the postgres operating-system user (root: runuser; otherwise sudo -n)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return ["sudo", "-n", "-u", "postgres", "--", *command]


def postgres_binary(name: str) -> str:
    """A PostgreSQL client program: Debian's wrapper in /usr/bin, else the newest versioned one."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if not versions:
        raise RuntimeError(f"{name} not found: install Debian's postgresql package (make up does)")
    return str(versions[-1])


def literal(value: str) -> str:
    """A SQL string literal (the benchmark only ever quotes codes and names it made itself)."""
    return "'" + value.replace("'", "''") + "'"


def code_literal(code: str) -> str:
    if not CODE.match(code):
        raise ValueError(f"not a code: {code!r}")
    return literal(code)


def psql(sql: str, database: str = "postgres", *, timeout: float = 1800) -> list[list[str]]:
    """Run ``sql`` (one or more statements, in one transaction) as the superuser; rows of the last
    statement that returns any, as lists of text fields."""
    result = subprocess.run(
        as_postgres(
            [
                postgres_binary("psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-F",
                "\t",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-h",
                SOCKET_DIR,
                "-p",
                str(PORTS["POSTGRES_PORT"]),
                "-d",
                database,
                "-f",
                "-",
            ]
        ),
        input=sql,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"psql on {database} failed: {result.stderr.strip()}")
    return [line.split("\t") for line in result.stdout.splitlines() if line]


def psql_autocommit(sql: str, database: str = "postgres") -> None:
    """Statements that cannot run in a transaction block (CREATE/DROP DATABASE)."""
    result = subprocess.run(
        as_postgres(
            [
                postgres_binary("psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                SOCKET_DIR,
                "-p",
                str(PORTS["POSTGRES_PORT"]),
                "-d",
                database,
                "-c",
                sql,
            ]
        ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"psql on {database} failed: {result.stderr.strip()}")
