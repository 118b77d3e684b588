from pydantic import Field

from xinyi_shared.settings import ServiceSettings


class TicketingSettings(ServiceSettings):
    service_name: str = "ticketing"
    http_port: int = 8103
    grpc_port: int = 9103
    # The breach scheduler: how often each replica looks for due timers, and how many tickets it
    # takes (locked, SKIP LOCKED) per transaction. A breach is seen at most one poll after its deadline.
    scheduler_poll_seconds: float = Field(default=0.5, gt=0)
    scheduler_batch: int = Field(default=200, ge=1, le=5000)
    # Notifications: empty URL = written to the log only; else each is POSTed there as JSON (a bridge
    # to the estate's WeChat group, say), retried with a growing pause until it is accepted.
    notification_webhook_url: str = ""
    notification_poll_seconds: float = Field(default=1.0, gt=0)
    notification_max_attempts: int = Field(default=12, ge=1)
    photo_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    # Tests that control time only (see xinyi_shared.clock); empty in every real deployment.
    clock_file: str = ""
