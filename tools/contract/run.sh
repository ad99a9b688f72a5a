#!/usr/bin/env bash
# Checks EdgeGuard's MQTT contract: installs the contract tools' npm packages when they are
# missing or older than package-lock.json, then validates docs/mqtt.asyncapi.yaml with the official
# AsyncAPI parser. Usable from the repository's test.sh:
#
#   tools/contract/run.sh                 # validate the AsyncAPI document (and its JSON schemas)
#   tools/contract/run.sh --self-test     # ... then also run self-test.sh (examples, live broker)
#
# Needs Node.js >= 18 with npm; installs Debian's nodejs and npm when they are missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "contract: installing nodejs and npm from Debian's packages"
  $sudo apt-get update -qq
  # Through env: sudo resets the environment, a VAR=value prefix before sudo would not reach apt.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "contract: npm ci (node $(node --version), npm $(npm --version))"
  SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error
fi

node validate-asyncapi.mjs

if [ "${1:-}" = "--self-test" ]; then
  bash ./self-test.sh
fi
