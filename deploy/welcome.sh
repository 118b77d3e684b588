#!/usr/bin/env bash
# Printed at the end of `make up`: where everything listens and how to log in.
source "$(dirname "$0")/lib.sh"
cat <<TXT

Xinyi is up.

  Front door  http://127.0.0.1:$WEB_PORT/h5/   the residents' pages (log in as resident / xinyi-dev-password)
              http://127.0.0.1:$WEB_PORT/console/   the staff console;  /api/<service>/… the APIs, one origin
              (pages from web/dist, built by deploy/web.sh; a placeholder until web/ is there)

  service     HTTP (OpenAPI at /docs)            gRPC
  tenant      http://127.0.0.1:$TENANT_HTTP_PORT/docs      127.0.0.1:$TENANT_GRPC_PORT
  ledger      http://127.0.0.1:$LEDGER_HTTP_PORT/docs      127.0.0.1:$LEDGER_GRPC_PORT
  ticketing   http://127.0.0.1:$TICKETING_HTTP_PORT/docs      127.0.0.1:$TICKETING_GRPC_PORT
  microfund   http://127.0.0.1:$MICROFUND_HTTP_PORT/docs      127.0.0.1:$MICROFUND_GRPC_PORT

  PostgreSQL  127.0.0.1:$POSTGRES_PORT (databases tenant, ledger, ticketing, microfund, keycloak)
  Kafka       127.0.0.1:$KAFKA_PORT
  Keycloak    http://127.0.0.1:$KEYCLOAK_PORT/admin (admin / admin), realm "xinyi"
  Prometheus  http://127.0.0.1:$PROMETHEUS_PORT/targets (every service and Keycloak; alert rules in deploy/prometheus/alerts.yml)
  SeaweedFS   S3 at http://127.0.0.1:$SEAWEEDFS_S3_PORT (xinyi-dev / xinyi-dev-secret); the services keep
              uploads in \$XINYI_STATE/blobs unless started with XINYI_BLOB_BACKEND=s3

Demo estate: jinhe-lvzhou (金河绿洲), a year of history. Accounts, all with password xinyi-dev-password:
  platform-admin, firm-manager, firm-staff, supervisor, resident, grid-leader,
  community-officer, governance-observer; resident lives in 1单元101, owners owner-jinhe-lvzhou-001…040

Try it:
  TOKEN=\$(curl -s http://127.0.0.1:$KEYCLOAK_PORT/realms/xinyi/protocol/openid-connect/token \\
    -d grant_type=password -d client_id=xinyi-web -d scope=organization:* \\
    -d username=firm-manager -d password=xinyi-dev-password | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:$LEDGER_HTTP_PORT/v1/estates/jinhe-lvzhou/accounts

  curl -s -H "Authorization: Bearer \$TOKEN" -o statement.pdf \\
    http://127.0.0.1:$LEDGER_HTTP_PORT/v1/estates/jinhe-lvzhou/statements/\$(date +%Y-%m)/pdf

The platform team's command: .venv/bin/xinyi login --username platform-admin; .venv/bin/xinyi estates list
The books' proofs, offline: .venv/bin/xinyi verify proof.json --log-key "<GET …/log/key>" (docs/transparency.md)

Logs and data: $XINYI_STATE        Stop everything: make down
TXT
