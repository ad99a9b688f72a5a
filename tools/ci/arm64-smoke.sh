#!/usr/bin/env bash
# The Raspberry Pi release on an x86-64 machine: builds the real linux-arm64 tarball
# (deploy/build-release.sh: self-contained, trimmed, ReadyToRun), provisions it into a scratch
# root (deploy/provision-gateway.sh --root, its validator under qemu), then runs the installed
# arm64 `edgeguard run --simulate` under qemu-user against a local Mosquitto and waits for the
# retained birth message `online` on edgeguard/v1/{site}/{gateway}/availability.
#
# Run by ./test.sh when CI=true or EDGEGUARD_ARM64_SMOKE=1 (minutes, so local runs skip it).
# Installs qemu-user-static, Mosquitto and the arm64 C libraries (Debian multiarch) when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
timeout_s=${EDGEGUARD_ARM64_TIMEOUT:-180}
started=$SECONDS
stamp() { echo "arm64-smoke: [$((SECONDS - started)) s] $*"; }

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_install() {
  # Through env: sudo resets the environment, a VAR=value prefix before sudo would not reach apt.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
# The runtime needs only the C and C++ libraries and OpenSSL (TLS): InvariantGlobalization is on,
# so no ICU; zlib is linked into the runtime. The loader lands in /lib/ld-linux-aarch64.so.1, where
# the arm64 executable's interpreter points, so qemu needs no -L (provision-gateway.sh's -L "$R" on a
# scratch root that holds no libraries falls back to these).
arm64_libs=(libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 libssl3:arm64)
# The mirror serves arm64 (Debian's ports are in the main archive); apt-get update picks its lists up.
dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
missing=()
command -v qemu-aarch64-static >/dev/null 2>&1 || missing+=(qemu-user-static)
command -v mosquitto >/dev/null 2>&1 || missing+=(mosquitto)
command -v mosquitto_sub >/dev/null 2>&1 || missing+=(mosquitto-clients)
# The free port below and provision-gateway.sh (render-config.py) need python3.
command -v python3 >/dev/null 2>&1 || missing+=(python3)
for lib in "${arm64_libs[@]}"; do
  dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q 'ok installed' || missing+=("$lib")
done
if [ "${#missing[@]}" -gt 0 ]; then
  stamp "installing ${missing[*]}"
  $sudo apt-get update -qq
  apt_install "${missing[@]}"
fi
stamp "qemu: $(qemu-aarch64-static --version | head -n 1)"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

stamp "building the linux-arm64 release"
t0=$SECONDS
deploy/build-release.sh --rid linux-arm64 --out "$work/release" >"$work/build.log" 2>&1 || {
  tail -n 40 "$work/build.log"
  exit 1
}
tarball=$(ls "$work"/release/edgeguard-*-linux-arm64.tar.gz)
stamp "built $(basename "$tarball") ($(du -h "$tarball" | cut -f1)) in $((SECONDS - t0)) s"
tar -xzf "$tarball" -C "$work"
stamp "$(readelf -h "$work"/edgeguard-*/app/edgeguard 2>/dev/null | grep -m1 Machine | tr -s ' ' || echo 'Machine: ?')"

t0=$SECONDS
qemu-aarch64-static "$work"/edgeguard-*/app/edgeguard validate --config "$(ls "$work"/edgeguard-*/config/appsettings.json)"
stamp "validated the shipped config template under qemu in $((SECONDS - t0)) s"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
site=smoke-site gateway=gw-arm64
root="$work/root"
mkdir -p "$root/etc"
echo 'VERSION_CODENAME=bookworm' >"$root/etc/os-release"
t0=$SECONDS
deploy/provision-gateway.sh --tarball "$tarball" --root "$root" --site "$site" --gateway "$gateway" \
  --broker "127.0.0.1:$port" --no-tls --demo >"$work/provision.log" 2>&1 || {
  cat "$work/provision.log"
  exit 1
}
grep -q 'Configuration is valid' "$work/provision.log" || { cat "$work/provision.log"; exit 1; }
stamp "provisioned into a scratch root (validator under qemu) in $((SECONDS - t0)) s"

cat >"$work/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
CONF
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
pids+=($!)

# The installed config, with state and the simulator socket moved out of the real /var/lib.
t0=$SECONDS
EdgeGuard__stateDirectory="$work/state" EdgeGuard__simulation__controlSocket="$work/sim.sock" \
  qemu-aarch64-static "$root/opt/edgeguard/current/edgeguard" run --simulate \
  --config "$root/etc/edgeguard/appsettings.json" >"$work/gateway.log" 2>&1 &
pids+=($!)
gateway_pid=$!

topic="edgeguard/v1/$site/$gateway/availability"
got=""
while [ $((SECONDS - t0)) -lt "$timeout_s" ]; do
  kill -0 "$gateway_pid" 2>/dev/null || { cat "$work/gateway.log"; echo "arm64-smoke: the gateway exited" >&2; exit 1; }
  got=$(mosquitto_sub -h 127.0.0.1 -p "$port" -V mqttv5 -t "$topic" -C 1 -W 5 2>/dev/null || true)
  [ "$got" = online ] && break
  sleep 1
done
if [ "$got" != online ]; then
  cat "$work/gateway.log" "$work/mosquitto.log"
  echo "arm64-smoke: no retained 'online' on $topic within $timeout_s s (last: '$got')" >&2
  exit 1
fi
stamp "arm64 gateway published retained 'online' on $topic $((SECONDS - t0)) s after start"
echo "arm64-smoke: passed in $((SECONDS - started)) s"
