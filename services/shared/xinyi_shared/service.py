"""What every service's bootstrap wires the same way: database (its pools reported to Prometheus, by each
worker when there are several), token verifier, HTTP app with the standard readiness checks, and a gRPC
server on the configured address."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import grpc
from fastapi import APIRouter, FastAPI

from xinyi_shared.auth import TokenVerifier
from xinyi_shared.db import Database
from xinyi_shared.exposition import multiprocess
from xinyi_shared.grpc_server import GrpcServer
from xinyi_shared.http import Component, create_app
from xinyi_shared.kafka_topics import KafkaProbe
from xinyi_shared.platform_metrics import PoolGauges, track_database_pools
from xinyi_shared.settings import ServiceSettings


@dataclass
class ServiceCore:
    settings: ServiceSettings
    database: Database
    verifier: TokenVerifier

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> ServiceCore:
        database = Database(settings)
        track_database_pools(settings.service_name, database)
        return cls(settings, database, TokenVerifier.from_settings(settings))

    def grpc_server(self, register: Callable[[grpc.Server], None] | None = None) -> GrpcServer:
        """The service's gRPC server; without ``register`` it serves only the health service."""
        s = self.settings
        return GrpcServer(
            s.service_name,
            s.grpc_port,
            self.verifier,
            register or (lambda _: None),
            host=s.grpc_host,
            threads=s.grpc_threads,
        )

    def app(
        self,
        *,
        title: str,
        description: str,
        components: Sequence[Component],
        routers: Sequence[APIRouter],
        on_shutdown: Callable[[], None] | None = None,
        body_limits: Mapping[str, int] | None = None,
    ) -> FastAPI:
        """``body_limits``: routes (path templates) that take bodies over the default 1 MiB (uploads)."""

        def shutdown() -> None:
            if on_shutdown is not None:
                on_shutdown()
            self.database.dispose()

        if multiprocess():
            # The scraped worker cannot read the others' pools: each writes its own (xinyi_shared.exposition).
            components = [PoolGauges(), *components]
        app = create_app(
            service=self.settings.service_name,
            title=title,
            description=description,
            verifier=self.verifier,
            readiness_checks={"database": self.database.ping, "kafka": KafkaProbe(self.settings)},
            components=components,
            on_shutdown=shutdown,
            body_limits=body_limits,
        )
        for router in routers:
            app.include_router(router)
        return app
