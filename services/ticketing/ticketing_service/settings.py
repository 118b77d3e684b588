from xinyi_shared.settings import ServiceSettings


class TicketingSettings(ServiceSettings):
    service_name: str = "ticketing"
    http_port: int = 8103
    grpc_port: int = 9103
