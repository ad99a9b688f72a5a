#!/usr/bin/env bash
# Runs the whole EdgeGuard test suite on a fresh Debian machine with the .NET SDK.
# It installs what the tests need first, so a clean clone passes with this one command.
set -euo pipefail
cd "$(dirname "$0")"

# Some tests need root: a full file system is a tmpfs they mount and fill, and the provisioning
# tests chown the gateway's state files as a real install does. As another user they failed at the
# end, one by one; say so at once instead.
if [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: the suite needs root (it mounts a tmpfs and chowns files, as a gateway's install does);" >&2
  echo "test.sh: run it as root, e.g. sudo env \"PATH=\$PATH\" ./test.sh (then chown -R \"\$USER\" . to build as yourself again)" >&2
  exit 2
fi

missing=()
# Debian puts the broker in /usr/sbin, off a normal user's PATH (the tests look there too).
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v mosquitto_sub >/dev/null 2>&1 || missing+=(mosquitto-clients)
# Arming schedules are tested in a real time zone (the tz database, as on a gateway).
[ -e /usr/share/zoneinfo/Europe/Berlin ] || missing+=(tzdata)
# deploy/provision-gateway.sh writes the config with python3 (deploy/render-config.py), and
# tools/ci/arm64-smoke.sh uses it too; a minimal Debian image has none.
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# Every tracked *.sh is linted (tools/lint/shellcheck.sh); the deploy scripts run on gateways.
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
# deploy/office/certs.sh (run by OfficeDeployTests) is openssl's ca.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# tools/lint/systemd.sh checks the gateway's unit with systemd's own parser.
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
# The tests signal their Mosquitto brokers and gateway processes with the kill program, not the
# shell's builtin (command -v finds that one): procps, which minimal images leave out.
[ -x /usr/bin/kill ] || [ -x /bin/kill ] || missing+=(procps)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "test.sh: installing ${missing[*]} from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # The tests start brokers of their own on free ports. On a host running systemd the package also
  # starts and enables a system broker on port 1883, where the README's quick start
  # (`run --simulate`) puts its embedded broker: stop the one this script just installed.
  if [[ " ${missing[*]} " == *" mosquitto "* ]] && [ -d /run/systemd/system ]; then
    echo "test.sh: stopping and disabling the system mosquitto.service the package started"
    systemctl disable --now mosquitto.service >/dev/null 2>&1 || true
  fi
fi

# The MQTT contract: AsyncAPI document and JSON Schemas (official parser + ajv), and the
# validator's own examples. Also installs the npm packages the interoperability test uses.
tools/contract/run.sh --self-test
tools/lint/shellcheck.sh

# The systemd unit, parsed by systemd itself (systemd-analyze verify) and its hardening scored.
tools/lint/systemd.sh
# The Raspberry Pi release (linux-arm64, self-contained) built, provisioned and run under qemu until
# it is online over MQTT: a few minutes, so in CI (CI=true) or on request (EDGEGUARD_ARM64_SMOKE=1).
if [ "${CI:-}" = true ] || [ "${EDGEGUARD_ARM64_SMOKE:-}" = 1 ]; then tools/ci/arm64-smoke.sh; fi

# The failing tests are listed again at the end: a failed test's output (a broker's log) can run to
# hundreds of lines, and CI keeps only the end of what this printed.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
dotnet test EdgeGuard.sln -c Release "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo
  echo "test.sh: dotnet test failed (exit $status); the failed tests and their messages once more:"
  grep -E -A6 '^  Failed [A-Za-z_]' "$log" | grep -v -E '^\s*$' | cut -c1-300 | head -200 || true
  grep -E '^(Passed|Failed)!' "$log" || true
fi
exit "$status"
