# One image per service, from one file: docker build --build-arg SERVICE=ledger -t xinyi-ledger .
FROM python:3.11-slim AS build
ARG SERVICE
RUN test -n "$SERVICE" || (echo "--build-arg SERVICE=tenant|ledger|ticketing|microfund is required" && false)
WORKDIR /src
# Third-party packages only from the lock, checked against its hashes (`make lock` writes it); then
# the local packages without their dependencies and without build isolation (setuptools is locked),
# so nothing unlocked comes in.
COPY requirements.lock .
RUN python -m venv /opt/xinyi \
 && /opt/xinyi/bin/pip install --no-cache-dir --require-hashes -r requirements.lock
COPY services/shared services/shared
COPY services/${SERVICE} services/${SERVICE}
RUN /opt/xinyi/bin/pip install --no-cache-dir --no-deps --no-build-isolation ./services/shared ./services/${SERVICE} \
 && /opt/xinyi/bin/pip check

FROM python:3.11-slim
ARG SERVICE
ENV PATH=/opt/xinyi/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    XINYI_SERVICE=${SERVICE} \
    XINYI_HTTP_HOST=0.0.0.0 \
    XINYI_GRPC_HOST=0.0.0.0
COPY --from=build /opt/xinyi /opt/xinyi
# The ledger embeds a CJK font in its statement PDFs so they print the same anywhere.
RUN if [ "$SERVICE" = ledger ]; then \
      apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei && rm -rf /var/lib/apt/lists/*; \
    fi \
 && useradd --system --uid 10001 --no-create-home xinyi
USER 10001
# `xinyi-<service> migrate` runs once per release; `serve` runs the HTTP and gRPC servers.
ENTRYPOINT ["/bin/sh", "-c", "exec xinyi-${XINYI_SERVICE} \"$@\"", "--"]
CMD ["serve"]
