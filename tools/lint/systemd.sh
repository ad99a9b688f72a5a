#!/usr/bin/env bash
# Checks deploy/edgeguard.service with systemd's own parser (systemd-analyze verify) and scores its
# hardening offline (systemd-analyze security). Called from ./test.sh; needs the systemd package.
set -euo pipefail
cd "$(dirname "$0")/../.."

unit=deploy/edgeguard.service
exec_path=/opt/edgeguard/current/edgeguard

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "tools/lint/systemd.sh: systemd-analyze not found (apt-get install systemd)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# verify refuses an ExecStart whose binary is missing, and /opt/edgeguard exists only on a gateway:
# check a copy whose ExecStart names a stand-in executable, with the same arguments.
grep -q "^ExecStart=$exec_path " "$unit" || {
  echo "$unit: ExecStart must start with $exec_path" >&2
  exit 1
}
printf '#!/bin/sh\nexit 0\n' >"$work/edgeguard"
chmod 755 "$work/edgeguard"
sed "s#^ExecStart=$exec_path #ExecStart=$work/edgeguard #" "$unit" >"$work/edgeguard.service"

# verify exits 0 on unknown keys and unparsable values (it only warns), so any output fails.
if ! out=$(systemd-analyze verify "$work/edgeguard.service" 2>&1) || [ -n "$out" ]; then
  echo "$unit: systemd-analyze verify:" >&2
  echo "${out//$work\//}" >&2
  exit 1
fi

# Rules a reader might "fix" without knowing why they are there.
fail=0
require() {
  grep -qx "$1" "$unit" || { echo "$unit: missing '$1'" >&2; fail=1; }
}
for line in Type=notify NotifyAccess=main Restart=always User=edgeguard StateDirectory=edgeguard \
  ConfigurationDirectory=edgeguard ProtectSystem=strict NoNewPrivileges=yes DevicePolicy=closed \
  CapabilityBoundingSet= StandardOutput=journal; do
  require "$line"
done
grep -q '^WatchdogSec=' "$unit" || { echo "$unit: missing WatchdogSec=" >&2; fail=1; }
# The .NET JIT needs writable+executable memory: the runtime would not start with this set.
if grep -q '^MemoryDenyWriteExecute=' "$unit"; then
  echo "$unit: MemoryDenyWriteExecute= breaks the .NET JIT; remove it" >&2
  fail=1
fi
[ "$fail" -eq 0 ] || exit 1

# Exposure score 0 (locked down) .. 10 (unconfined); the threshold is in tenths. Today: 2.1.
if ! score=$(systemd-analyze security --offline=true --threshold=30 "$work/edgeguard.service" 2>&1); then
  echo "$score" | tail -n 25 >&2
  echo "$unit: hardening exposure above 3.0" >&2
  exit 1
fi
echo "tools/lint/systemd.sh: $unit verified; $(echo "$score" | tail -n 1 | sed 's/→ //')"
