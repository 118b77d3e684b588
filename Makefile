# The front door of Xinyi. `make up` brings the platform up with demo data; `make test` runs the tests.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
# Third-party packages come only from the lock, with their hashes (`make lock` writes it from
# requirements-dev.txt and the pyproject.toml files); the local packages are installed after them
# with --no-deps, without build isolation (setuptools is locked too), so nothing unlocked comes in.
LOCK := requirements-dev.lock
LOCAL_PACKAGES := $(patsubst %/pyproject.toml,%,$(wildcard services/*/pyproject.toml))
PACKAGE_FILES := $(LOCK) $(wildcard services/*/pyproject.toml)

.PHONY: help venv lock up down test test-unit test-e2e fuzz infra-up infra-down migrate services-up services-down demo web proto proto-check lint status bench bench-tickets bench-governance bench-scaleout test-charts

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV_STAMP): $(PACKAGE_FILES)
	deploy/system-packages.sh
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --require-hashes -r $(LOCK)
	$(PYTHON) -m pip install -q --no-deps --no-build-isolation $(addprefix -e ,$(LOCAL_PACKAGES))
	$(PYTHON) -m pip check  # a pyproject.toml needs a package the lock lacks: run `make lock`
	@touch $@

venv: $(VENV_STAMP) ## Install the locked packages and the services into .venv (when the lock or a pyproject.toml changed)

lock: ## Re-pin every third-party package with hashes (LOCK_ARGS=--upgrade for the newest versions)
	deploy/lock.sh $(LOCK_ARGS)

up: $(VENV_STAMP) infra-up migrate services-up demo web ## Start PostgreSQL, Kafka, Keycloak, SeaweedFS, the four services, Prometheus and the front door, with a demo estate
	deploy/prometheus.sh up
	deploy/nginx.sh up
	@deploy/welcome.sh

down: ## Stop everything `make up` started
	deploy/nginx.sh down
	deploy/prometheus.sh down
	deploy/services.sh down
	deploy/seaweedfs.sh down
	deploy/keycloak.sh down
	deploy/kafka.sh down
	deploy/postgres.sh down

status: ## Show what runs
	-deploy/postgres.sh status
	-deploy/kafka.sh status
	-deploy/keycloak.sh status
	-deploy/seaweedfs.sh status
	-deploy/prometheus.sh status
	-deploy/services.sh status
	-deploy/nginx.sh status

infra-up: ## Start PostgreSQL, Kafka, Keycloak and SeaweedFS (S3) only
	deploy/postgres.sh up
	deploy/kafka.sh up
	deploy/keycloak.sh up
	deploy/seaweedfs.sh up

infra-down:
	deploy/seaweedfs.sh down
	deploy/keycloak.sh down
	deploy/kafka.sh down
	deploy/postgres.sh down

migrate: $(VENV_STAMP) ## Upgrade every service's database
	deploy/services.sh migrate

services-up: $(VENV_STAMP)
	deploy/services.sh up

services-down:
	deploy/services.sh down

web: ## Build the pages (npm ci and vite build into web/dist, only when web/ changed)
	deploy/web.sh build

demo: $(VENV_STAMP) ## The demo estate with a year of history, made through the public APIs (idempotent)
	$(PYTHON) deploy/demo_data.py

test: $(VENV_STAMP) ## Unit tests, then the end-to-end tests against the real platform (started and stopped here)
	deploy/test.sh

test-unit: $(VENV_STAMP) ## Unit tests only (no infrastructure)
	$(PYTHON) -m pytest services tests/unit

test-e2e: $(VENV_STAMP) ## Integration, end-to-end and browser tests against an already running platform (`make up`)
	deploy/system-packages.sh tests
	$(PYTHON) -m pytest tests/integration tests/e2e tests/browser

test-charts: $(VENV_STAMP) ## The Helm chart: lint, render, Kubernetes' schemas offline, server-side dry run on a real kube-apiserver (helm and kube-apiserver built once)
	PYTHON=$(abspath $(PYTHON)) deploy/k8s/test-charts.sh $(CHART_TEST_ARGS)

fuzz: $(VENV_STAMP) ## schemathesis against every service's OpenAPI as several roles, a few minutes (starts and stops what it needs)
	deploy/with-platform.sh $(PYTHON) -m tests.fuzz.run $(FUZZ_ARGS)

bench: $(VENV_STAMP) ## Platform throughput and latency beside pgbench on the same PostgreSQL (needs make up)
	$(PYTHON) bench/run.py $(BENCH_ARGS)

bench-tickets: $(VENV_STAMP) ## The breach scheduler: 300 estates, 100,000 open tickets, two replicas, beside pgbench (needs make up)
	$(PYTHON) bench/ticket_timers.py $(BENCH_ARGS)

bench-governance: $(VENV_STAMP) ## The committee's read side: a year of 300 estates replayed, freshness under payments, beside pgbench (needs make up)
	$(PYTHON) bench/governance.py $(BENCH_ARGS)

bench-scaleout: $(VENV_STAMP) ## The scale-out drill: payments over 50 estates, 1 vs 3 ledger replicas (one killed mid-load), nothing lost, beside pgbench (needs make up)
	$(PYTHON) bench/scaleout.py $(BENCH_ARGS)

proto: $(VENV_STAMP) ## Regenerate the gRPC/protobuf stubs from proto/
	PYTHON=$(abspath $(PYTHON)) proto/generate.sh

proto-check: $(VENV_STAMP)
	PYTHON=$(abspath $(PYTHON)) proto/generate.sh --check

lint: $(VENV_STAMP) proto-check ## ruff, mypy (strict, every package), current stubs, shell syntax, the chart's nginx copy
	$(VENV)/bin/ruff check services tests deploy
	$(VENV)/bin/ruff format --check services tests deploy
	MYPYPATH=services/shared:services/tenant:services/ledger:services/ticketing:services/microfund:services/cli \
	  $(VENV)/bin/mypy -p xinyi_shared -p tenant_service -p ledger_service -p ticketing_service -p microfund_service -p xinyi_cli
	for script in deploy/*.sh deploy/k8s/*.sh deploy/postgres/*.sh proto/*.sh .ci/run; do bash -n "$$script" || exit 1; done
	@cmp -s deploy/nginx/xinyi.conf charts/xinyi/files/nginx-xinyi.conf.template || \
	  { echo "the chart's front door differs: cp deploy/nginx/xinyi.conf charts/xinyi/files/nginx-xinyi.conf.template"; exit 1; }
