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
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/siem-bridge /etc/siem-bridge \
 && chown 65532:65532 /var/lib/siem-bridge
COPY --from=build /src/target/release/siem-bridge /usr/local/bin/siem-bridge
COPY config.example.toml /etc/siem-bridge/config.example.toml
# Non-root. Mount the real config at /etc/siem-bridge/config.toml and keep
# /var/lib/siem-bridge (dead letters, file sink) on a volume.
USER 65532:65532
VOLUME ["/var/lib/siem-bridge"]
# SIGTERM (Docker's stop signal) drains in-flight batches, commits and
# leaves the group within [pipeline] shutdown_timeout_ms.
STOPSIGNAL SIGTERM
ENTRYPOINT ["siem-bridge"]
CMD ["run", "--config", "/etc/siem-bridge/config.toml", "--log-format", "json"]
