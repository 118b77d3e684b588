"""Service settings read from environment variables (prefix ``XINYI_``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development defaults, refused outside development so no deployment runs on them by accident.
DEV_DB_PASSWORD = "xinyi-dev"
DEV_CLIENT_SECRET_SUFFIX = "-service-secret"
DEV_S3_SECRET_KEY = "xinyi-dev-secret"  # deploy/seaweedfs.sh's development identity


def default_state_dir() -> Path:
    """Where deploy/lib.sh keeps the platform's data: $XINYI_STATE, else $XINYI_CACHE/state."""
    if state := os.environ.get("XINYI_STATE"):
        return Path(state)
    return Path(os.environ.get("XINYI_CACHE") or Path.home() / ".cache" / "xinyi") / "state"


class ServiceSettings(BaseSettings):
    """Settings shared by every service; each service sets its own ``service_name`` and ports."""

    model_config = SettingsConfigDict(env_prefix="XINYI_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    service_name: str
    http_host: str = "127.0.0.1"
    http_port: int
    grpc_host: str = "127.0.0.1"
    grpc_port: int
    # Worker processes of ``serve`` (XINYI_HTTP_WORKERS): each runs the whole service — HTTP on the
    # shared port (the uvicorn master's socket), gRPC on the same port (SO_REUSEPORT), its own outbox
    # relay and Kafka consumers (members of the same consumer groups) and its own database pools.
    http_workers: int = Field(default=1, ge=1)
    # Threads of each process's gRPC server (XINYI_GRPC_THREADS); the app database pool covers them.
    grpc_threads: int = Field(default=16, ge=1)
    log_level: str = "INFO"
    # Where traces go (XINYI_OTLP_ENDPOINT): an OTLP/HTTP collector's base URL, e.g.
    # http://127.0.0.1:4318 (``/v1/traces`` is added). Empty: nothing is exported, unless the standard
    # OTEL_EXPORTER_OTLP_ENDPOINT says where; trace context is propagated either way (xinyi_shared.tracing).
    otlp_endpoint: str = ""

    db_host: str = "127.0.0.1"
    db_port: int = 55432
    db_name: str = ""
    db_password: SecretStr = SecretStr(DEV_DB_PASSWORD)
    # Connections each process keeps open to the app role; more are opened under load, up to the
    # number of threads that can query at once (see xinyi_shared.db.app_pool_limits), and closed on
    # return. Sized for a worker's share of 32 concurrent clients plus its background threads: at 10,
    # 32 payment clients opened ~20 connections a second (TLS, SCRAM, a cold backend each) and
    # halved the throughput.
    db_pool_size: int = Field(default=24, ge=1)

    kafka_bootstrap: str = "127.0.0.1:19092"
    kafka_topic_partitions: int = 6
    kafka_topic_replication: int = 1
    # A consumer looks this often at the events waiting in its partitions: one that had events waiting
    # at the last look, still has, and brought none in between is stuck (a client that stopped
    # fetching it), and the consumer connects afresh.
    consumer_stall_seconds: float = Field(default=20.0, gt=0)

    keycloak_url: str = "http://127.0.0.1:18080"
    keycloak_realm: str = "xinyi"
    # The issuer tokens carry, when callers reach Keycloak by another address than this service
    # does (in containers: http://localhost:18080/realms/xinyi while the service uses keycloak:8080).
    token_issuer: str = ""
    token_audience: str = "xinyi-api"
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")

    # Where the other services answer gRPC (host:port).
    tenant_grpc_target: str = "127.0.0.1:9101"
    ledger_grpc_target: str = "127.0.0.1:9102"

    # The relay is woken by a NOTIFY on each commit that recorded events; this poll is the fallback of
    # a relay that is not listening (a lost listener connection, until it reconnects).
    outbox_poll_seconds: float = Field(default=0.2, gt=0)
    # A listening relay misses no commit, so when idle it looks on its own only this often (to keep
    # the backlog gauges fresh): an idle service does not query its outbox five times a second.
    outbox_idle_check_seconds: float = Field(default=5.0, gt=0)
    # How long the relay holds back events behind a missing outbox seq (a transaction still between its
    # insert and its commit, or one rolled back) before it takes the seq for rolled back.
    outbox_gap_wait_seconds: float = Field(default=2.0, ge=0)
    # Under sustained load, relay rounds start at most this often: a round's fixed cost (a transaction,
    # a Kafka round trip) is shared by the events of its interval instead of paid per commit. The
    # first event after a quiet spell leaves at once.
    outbox_round_interval_seconds: float = Field(default=0.01, ge=0, le=1)
    # Relayed events stay in the outbox this long (to look into a delivery), then the relay deletes
    # them, a batch every outbox_prune_seconds: the table and its indexes do not grow with the years.
    # Kafka keeps the events themselves (its topics' own retention).
    outbox_keep_hours: float = Field(default=168.0, ge=0)
    outbox_prune_seconds: float = Field(default=60.0, gt=0)

    # Uploaded files (vouchers, photos; xinyi_shared.blobs): a folder on this machine, or an S3 bucket.
    blob_backend: Literal["filesystem", "s3"] = "filesystem"
    blob_dir: str = ""  # empty: <state dir>/blobs/<service_name>, beside the other data of `make up`
    blob_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    s3_endpoint: str = ""
    s3_bucket: str = ""
    s3_access_key: str = ""
    s3_secret_key: SecretStr = SecretStr("")
    s3_region: str = "us-east-1"

    @model_validator(mode="after")
    def _fill_defaults_and_refuse_unsafe(self) -> ServiceSettings:
        if not self.db_name:
            self.db_name = self.service_name
        if not self.client_id:
            self.client_id = f"{self.service_name}-service"
        if not self.client_secret.get_secret_value() and self.environment != "production":
            self.client_secret = SecretStr(f"{self.service_name}{DEV_CLIENT_SECRET_SUFFIX}")
        if self.environment == "production":
            if self.db_password.get_secret_value() == DEV_DB_PASSWORD:
                raise ValueError("XINYI_DB_PASSWORD must be set to a real secret in production")
            secret = self.client_secret.get_secret_value()
            if not secret or secret.endswith(DEV_CLIENT_SECRET_SUFFIX):
                raise ValueError("XINYI_CLIENT_SECRET must be set to a real secret in production")
        if not self.blob_dir:
            self.blob_dir = str(default_state_dir() / "blobs" / self.service_name)
        if self.blob_backend == "s3":
            self._refuse_incomplete_s3()
        return self

    def _refuse_incomplete_s3(self) -> None:
        given = {
            "XINYI_S3_ENDPOINT": self.s3_endpoint,
            "XINYI_S3_BUCKET": self.s3_bucket,
            "XINYI_S3_ACCESS_KEY": self.s3_access_key,
            "XINYI_S3_SECRET_KEY": self.s3_secret_key.get_secret_value(),
            "XINYI_S3_REGION": self.s3_region,
        }
        missing = [name for name, value in given.items() if not value]
        if missing:
            raise ValueError(f"XINYI_BLOB_BACKEND=s3 needs {', '.join(missing)}")
        if self.environment == "production" and self.s3_secret_key.get_secret_value() == DEV_S3_SECRET_KEY:
            raise ValueError("XINYI_S3_SECRET_KEY must be set to a real secret in production")

    @property
    def realm_url(self) -> str:
        """Where this service reaches the realm (keys, tokens, admin API)."""
        return f"{self.keycloak_url}/realms/{self.keycloak_realm}"

    @property
    def issuer(self) -> str:
        return self.token_issuer or self.realm_url

    def database_url(self, role: Literal["owner", "app", "system"]) -> str:
        """URL for one of the service's three database roles (see deploy/postgres.sh)."""
        user = f"{self.db_name}_{role}"
        password = quote(self.db_password.get_secret_value(), safe="")  # a real secret may hold @ : /
        return f"postgresql+psycopg://{user}:{password}@{self.db_host}:{self.db_port}/{self.db_name}"
