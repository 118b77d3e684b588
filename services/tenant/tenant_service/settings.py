from ipaddress import IPv4Network, IPv6Network

from pydantic import Field

from xinyi_shared.settings import ServiceSettings


class TenantSettings(ServiceSettings):
    service_name: str = "tenant"
    http_port: int = 8101
    grpc_port: int = 9101

    # Invitation claims (the one route without log-in) per minute, counted in the database so that the
    # limits hold across every worker and replica: per client address (XINYI_CLAIM_RATE_PER_ADDRESS)
    # and per estate named in the claim (XINYI_CLAIM_RATE_PER_ESTATE).
    claim_rate_per_address: int = Field(default=20, ge=1)
    claim_rate_per_estate: int = Field(default=100, ge=1)
    # Reverse proxies whose X-Forwarded-For is believed (XINYI_TRUSTED_PROXIES, a JSON list of addresses
    # or networks, e.g. '["10.0.0.0/8"]'); none by default: the client is the socket's peer.
    trusted_proxies: list[IPv4Network | IPv6Network] = Field(default_factory=list)

    # The committee's figures (治理指标): an estate or area with fewer households than this shows every
    # figure as suppressed, a satisfaction rate from fewer ratings than this too
    # (XINYI_GOVERNANCE_MIN_HOUSEHOLDS, XINYI_GOVERNANCE_MIN_RATINGS).
    governance_min_households: int = Field(default=20, ge=1)
    governance_min_ratings: int = Field(default=5, ge=1)
    # The district's time zone, for community-wide micro-fund facts (an estate's own facts use its own).
    governance_time_zone: str = "Asia/Shanghai"
    # Names the key that signs the monthly district reports: <authority>/governance.
    report_authority: str = "tenant.xinyi.localhost"
