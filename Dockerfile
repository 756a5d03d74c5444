# syntax=docker/dockerfile:1
# BrokerGate container image: build with the Swift toolchain, run on a small Ubuntu.
#
#   docker build -t brokergate:local .
#   docker run --rm -p 8080:8080 \
#     -e BROKERGATE_PARTNER_KEY_ID -e BROKERGATE_PARTNER_SECRET \
#     -e BROKERGATE_OPERATOR_KEY_ID -e BROKERGATE_OPERATOR_SECRET \
#     -v brokergate-data:/app/data brokergate:local
#
# Arguments after the image name are appended to `brokergate serve --host 0.0.0.0
# --port 8080`, e.g. `--store postgres://…` (see docker-compose.yml) or `--no-sandbox`.
# Without them the operating contract's defaults apply: SQLite in /app/data, sandbox on.

# The builder and the runtime must share one Ubuntu release (glibc): noble for both.
# Keep SWIFT_VERSION on the toolchain the project is developed and tested with.
ARG SWIFT_VERSION=6.3
ARG UBUNTU_RELEASE=noble

# ---------------------------------------------------------------------------------------
FROM swift:${SWIFT_VERSION}-${UBUNTU_RELEASE} AS build

RUN export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Resolve dependencies in their own layer, so a source change does not refetch them.
COPY Package.swift ./
RUN swift package resolve --traits OTel

COPY Sources ./Sources
COPY Tests ./Tests
# The static Swift runtime makes the binary independent of the toolchain image. The OTel
# trait links swift-otel, so `--otel-endpoint` can export traces (README "Traces").
RUN swift build -c release --product brokergate --static-swift-stdlib --traits OTel

WORKDIR /staging
RUN cp "$(swift build --package-path /build -c release --traits OTel --show-bin-path)/brokergate" ./ \
    && cp /usr/libexec/swift/linux/swift-backtrace-static ./ \
    && find -L "$(swift build --package-path /build -c release --traits OTel --show-bin-path)/" \
        -maxdepth 1 -regex '.*\.resources$' -exec cp -Ra {} ./ \;

# ---------------------------------------------------------------------------------------
FROM ubuntu:${UBUNTU_RELEASE}

# libsqlite3-0: the embedded store; curl: the health check; tzdata: America/New_York
# for the trading calendar; ca-certificates: TLS to brokers and PostgreSQL.
RUN export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends \
        ca-certificates \
        curl \
        libsqlite3-0 \
        tzdata \
    && rm -rf /var/lib/apt/lists/*

# A system user with no login shell owns nothing but the data directory.
RUN useradd --system --user-group --home-dir /app --shell /usr/sbin/nologin brokergate

WORKDIR /app
COPY --from=build --chown=root:root /staging /app
COPY --chown=root:root Public ./Public
COPY --chown=root:root openapi.yaml ./openapi.yaml
RUN mkdir -p /app/data && chown brokergate:brokergate /app/data

# Crash reports with symbolicated backtraces on stderr, never an interactive debugger.
ENV SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/app/swift-backtrace-static

USER brokergate:brokergate
EXPOSE 8080

# /health is liveness only (no store access), so a slow database never restarts a
# healthy process; orchestrators that route traffic should probe /ready as well.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "--fail", "--silent", "--show-error", "--max-time", "2", "--output", "/dev/null", "http://127.0.0.1:8080/health"]

# Exec form: brokergate is PID 1 and receives SIGTERM itself (graceful shutdown).
ENTRYPOINT ["/app/brokergate", "serve", "--host", "0.0.0.0", "--port", "8080"]
CMD []
