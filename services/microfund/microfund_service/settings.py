from xinyi_shared.settings import ServiceSettings


class MicrofundSettings(ServiceSettings):
    service_name: str = "microfund"
    http_port: int = 8104
    grpc_port: int = 9104
