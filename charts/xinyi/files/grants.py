"""Grants a service's app and system roles what deploy/postgres/provision.sh grants them, as the
service's database owner (<svc>_owner), idempotently: run by the migration Job before `migrate`, so
a database made by an operator (CloudNativePG's Database and managed roles) ends up as provision.sh
leaves one. Waits for the database to answer first (a cluster installed with the chart starts with it).
"""

import os
import sys
import time

import psycopg
from psycopg import sql

WAIT_SECONDS = 600

database = os.environ.get("XINYI_DB_NAME") or os.environ["XINYI_SERVICE"]
owner, app, system = (sql.Identifier(f"{database}_{role}") for role in ("owner", "app", "system"))
STATEMENTS = [
    sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)),
    sql.SQL("GRANT CONNECT ON DATABASE {} TO {}, {}").format(sql.Identifier(database), app, system),
    sql.SQL("GRANT USAGE ON SCHEMA public TO {}, {}").format(app, system),
    sql.SQL(
        "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}, {}"
    ).format(owner, app, system),
    sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {}, {}").format(
        owner, app, system
    ),
]


def connect() -> psycopg.Connection:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            return psycopg.connect(
                host=os.environ["XINYI_DB_HOST"],
                port=int(os.environ.get("XINYI_DB_PORT", "5432")),
                dbname=database,
                user=f"{database}_owner",
                password=os.environ["XINYI_DB_PASSWORD"],
                connect_timeout=5,
                autocommit=True,
            )
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                raise
            print(f"waiting for database {database}: {type(error).__name__}", file=sys.stderr, flush=True)
            time.sleep(5)


with connect() as connection:
    for statement in STATEMENTS:
        connection.execute(statement)
print(f"grants of {database}: done", file=sys.stderr)
