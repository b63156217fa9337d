# Multi-stage build. No Docker engine runs on our development and CI
# machines, so the build step here is the same command scripts/test.sh runs
# on every CI run: `cargo build --release --locked --bin siem-bridge`.
FROM rust:1-bookworm AS build
# gcc/make build librdkafka (rdkafka-sys); libssl-dev for Kafka TLS; zlib for compression.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin siem-bridge

FROM debian:bookworm-slim
# The binary links libssl3, libcrypto3 and zlib (checked with ldd); the
# rest (rustls, zstd) is static.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/siem-bridge /etc/siem-bridge \
 && chown 65532:65532 /var/lib/siem-bridge
COPY --from=build /src/target/release/siem-bridge /usr/local/bin/siem-bridge
COPY config.example.toml /etc/siem-bridge/config.example.toml
# Non-root. Mount the real config read-only at /etc/siem-bridge/config.toml
# (secrets through ${ENV} or *_file keys pointing at mounted secret files)
# and keep /var/lib/siem-bridge (dead letters, file sink) on a volume;
# relative paths in the config resolve there.
USER 65532:65532
WORKDIR /var/lib/siem-bridge
VOLUME ["/var/lib/siem-bridge"]
# /metrics, /health, /ready: the config must set
# [observability] listen = "0.0.0.0:9464" for them to be reachable from
# outside the container (the default is loopback). No HEALTHCHECK: the
# slim image has no HTTP client; use the orchestrator's HTTP probes.
EXPOSE 9464
# SIGTERM (Docker's stop signal) is handled by siem-bridge itself (it is
# PID 1, exec form below): it drains in-flight batches, commits and leaves
# the group within [pipeline] shutdown_timeout_ms (default 10 s). Give the
# container more than that before SIGKILL: `docker run --stop-timeout 20`,
# Kubernetes `terminationGracePeriodSeconds: 20`. A SIGKILL loses nothing
# (uncommitted records are re-read) but re-sends them.
STOPSIGNAL SIGTERM
ENTRYPOINT ["siem-bridge"]
CMD ["run", "--config", "/etc/siem-bridge/config.toml", "--log-format", "json"]
