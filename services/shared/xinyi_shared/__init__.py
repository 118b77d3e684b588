"""What every Xinyi service needs and nothing domain-specific: settings, tenant-scoped database
sessions, the transactional outbox and its relay, the idempotent consumer, CloudEvents on Kafka,
OIDC authentication, metrics, health and structured logging."""
