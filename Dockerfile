# syntax=docker/dockerfile:1
# Container image of the EdgeGuard gateway: a self-contained build on the .NET runtime-deps base
# (no .NET runtime in the image, so the runtime is the one the gateway was tested with), running
# as an unprivileged user with the state on a volume. How to run it with the GPIO, I2C and SPI
# devices of the board: docs/container.md.
#
#   docker build -t edgeguard .                                   # the build machine's architecture
#   docker buildx build --platform linux/arm64 -t edgeguard .     # a Raspberry Pi, from any machine
#
# The publish command below is the one tests were run with locally (linux-x64):
#   dotnet publish src/EdgeGuard -c Release -r linux-x64 --self-contained -o /app

# --- build: the SDK runs natively on the build machine and cross-publishes for the target ---------
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
ARG TARGETARCH
WORKDIR /src

# The project files first: restore is cached until a package or project reference changes.
COPY Directory.Build.props Directory.Packages.props ./
COPY src/EdgeGuard.Core/EdgeGuard.Core.csproj src/EdgeGuard.Core/
COPY src/EdgeGuard.Hardware/EdgeGuard.Hardware.csproj src/EdgeGuard.Hardware/
COPY src/EdgeGuard.Journal/EdgeGuard.Journal.csproj src/EdgeGuard.Journal/
COPY src/EdgeGuard.Mqtt/EdgeGuard.Mqtt.csproj src/EdgeGuard.Mqtt/
COPY src/EdgeGuard/EdgeGuard.csproj src/EdgeGuard/
# Docker's architecture names (amd64, arm64) to .NET runtime identifiers.
RUN case "$TARGETARCH" in \
      amd64) echo linux-x64 ;; \
      arm64) echo linux-arm64 ;; \
      arm) echo linux-arm ;; \
      *) echo "unsupported TARGETARCH '$TARGETARCH'" >&2; exit 1 ;; \
    esac > /tmp/rid \
 && dotnet restore src/EdgeGuard -r "$(cat /tmp/rid)"

COPY src/ src/
# The sample configuration must not be picked up as "appsettings.json beside the executable": the
# container runs only the configuration mounted at /etc/edgeguard. It stays in samples/.
RUN dotnet publish src/EdgeGuard -c Release -r "$(cat /tmp/rid)" --self-contained --no-restore -o /app \
 && mv /app/appsettings.json /app/samples/appsettings.json

# --- runtime: native dependencies of .NET only, plus the GPIO library -------------------------------
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble

# libgpiod is loaded by System.Device.Gpio at run time (driver libgpiod = libgpiod.so.2, v1;
# libgpiodV2 = libgpiod.so.3, v2). Install whichever versions the base distribution packages, so
# `hardware.driver` can match the host's kernel and the board.
RUN apt-get update \
 && pkgs="$(apt-cache --names-only search '^libgpiod[23]$' | cut -d' ' -f1 | tr '\n' ' ')" \
 && test -n "$pkgs" \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs \
 && rm -rf /var/lib/apt/lists/*

# A fixed, unprivileged user: the state volume and the mounted key files are owned by (or readable
# for) uid 10001 on the host. GPIO, I2C and SPI access comes from the host's device groups, added
# at `docker run --group-add` (docs/container.md), never from running as root.
RUN groupadd --system --gid 10001 edgeguard \
 && useradd --system --uid 10001 --gid edgeguard --no-create-home --home-dir /var/lib/edgeguard \
      --shell /usr/sbin/nologin edgeguard \
 && install -d -o edgeguard -g edgeguard -m 0750 /var/lib/edgeguard \
 && install -d -m 0755 /etc/edgeguard

COPY --from=build /app /app

# The state (persisted lockdown, event journal, session counter) must survive a new container:
# losing it forgets a lockdown in progress and replays nothing. Environment variables override the
# configuration file, so the volume is used whatever stateDirectory the file names.
ENV EdgeGuard__stateDirectory=/var/lib/edgeguard
VOLUME ["/var/lib/edgeguard"]

# No HEALTHCHECK: nothing cheap inside the container tells more than "the process runs", which
# Docker already knows (`validate` only checks the file, and a broker outage is normal operation
# the gateway rides out by journaling). Liveness reaches the office as the MQTT availability
# message and its Last Will; on bare metal the systemd watchdog covers hangs.

USER edgeguard:edgeguard
WORKDIR /var/lib/edgeguard
# SIGTERM (docker stop) is an orderly stop: no output is written, `offline` is published and the
# journal cursor saved. Give it more than Docker's 10 s default (docker run --stop-timeout 30).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/edgeguard"]
CMD ["run", "--config", "/etc/edgeguard/appsettings.json"]
