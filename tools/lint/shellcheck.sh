#!/usr/bin/env bash
# Runs shellcheck on every shell script the repository tracks (git ls-files '*.sh'), so a deploy
# script that only works on the author's machine is caught in CI rather than on a gateway.
# test.sh installs shellcheck from Debian's packages when it is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

command -v shellcheck >/dev/null 2>&1 || { echo "shellcheck: not installed (apt-get install shellcheck)" >&2; exit 1; }

mapfile -t scripts < <(git ls-files '*.sh')
if [ "${#scripts[@]}" -eq 0 ]; then
  echo "shellcheck: no *.sh files tracked" >&2
  exit 1
fi

# -x follows `source`d files; shellcheck's default severity (style and up) is the bar.
shellcheck -x "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
