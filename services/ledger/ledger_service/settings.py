from pydantic import Field

from xinyi_shared.settings import ServiceSettings


class LedgerSettings(ServiceSettings):
    service_name: str = "ledger"
    http_port: int = 8102
    grpc_port: int = 9102

    # Billing jobs (service_layer/billing.py). Households per chunk, one estate transaction each
    # (XINYI_BILLING_CHUNK): each holds an advisory lock per household until it commits, so
    # chunk × workers must stay well inside PostgreSQL's lock table (max_locks_per_transaction ×
    # max_connections: 64 × 300 = 19,200 here).
    billing_chunk: int = Field(default=1000, ge=1, le=5000)
    # Estates billed at once by each process (XINYI_BILLING_WORKERS), across all its jobs.
    billing_workers: int = Field(default=4, ge=1, le=32)
    # Jobs each process runs at once (their estates share the workers above).
    billing_jobs: int = Field(default=2, ge=1, le=16)
    # A job's lease (XINYI_BILLING_LEASE_SECONDS), renewed while it runs; a job whose worker died
    # is taken over by another process (or the restarted one) once its lease has expired.
    billing_lease_seconds: float = Field(default=20.0, ge=2.0, le=600.0)
    # How often an idle worker looks for jobs another process queued (its own wake it at once).
    billing_poll_seconds: float = Field(default=1.0, gt=0, le=60.0)

    # Names this deployment in the origin of every estate's log (XINYI_LOG_AUTHORITY): checkpoints
    # are signed as "<authority>/estates/<estate code>". A schema-less URL the deployment controls.
    log_authority: str = Field(default="ledger.xinyi.localhost", pattern=r"^[a-z0-9.-]+(/[A-Za-z0-9._-]+)*$")
