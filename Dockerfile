# syntax=docker/dockerfile:1.7
# fundraiser as a container image: one static binary on distroless, as a non-root user,
# the ledger on a volume.
#
#   docker build -t fundraiser .
#   docker run -d -p 8080:8080 -v fundraiser-data:/data \
#     -e FUNDRAISER_SERVER__PUBLIC_URL=https://give.example.org \
#     -e FUNDRAISER_GATEWAY__KIND=stripe \
#     -e FUNDRAISER_STRIPE__SECRET_KEY -e FUNDRAISER_STRIPE__WEBHOOK_SECRET fundraiser
#
# The image listens on all addresses, so the sandbox gateway (the default) refuses to
# start in it: choose Stripe as above to go live, or add -e FUNDRAISER_SANDBOX__PUBLIC=true
# for a public demonstration (every page then says no real money is taken).
#
# Configuration: FUNDRAISER_* environment variables, or a config.toml in the /data volume.

# --- build: the same command CI runs outside Docker (deploy/build-static.sh) -----------
FROM rust:1.95-slim-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add "$(uname -m)-unknown-linux-musl"
WORKDIR /src
COPY . .
# Dependency caching: the crate registry and the compiled dependencies persist across
# builds in BuildKit cache mounts, so a change to the pages or the code rebuilds only
# the crate itself.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cp "$(deploy/build-static.sh)" /fundraiser \
 && /fundraiser --version \
 && mkdir /data

# --- run: no shell, no package manager, nothing but the binary --------------------------
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /fundraiser /usr/local/bin/fundraiser
COPY --from=build --chown=65532:65532 /data /data
WORKDIR /data
ENV FUNDRAISER_SERVER__BIND=0.0.0.0:8080 \
    FUNDRAISER_LEDGER__PATH=/data/ledger.db
USER 65532:65532
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/fundraiser", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/fundraiser"]
CMD ["serve"]
