from xinyi_shared.settings import ServiceSettings


class TenantSettings(ServiceSettings):
    service_name: str = "tenant"
    http_port: int = 8101
    grpc_port: int = 9101
