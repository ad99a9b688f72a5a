#!/usr/bin/env bash
# Cold start to armed and steady RSS (DESIGN.md target: Native AOT, <= 150 ms, <= 40 MB).
# Publishes edgeguard as Native AOT for this machine, then measures it with measure.py.
#   bench/cold-start/run.sh [RUNS]        (default 10)
# Results and how they were read: bench/cold-start/README.md and docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-10}"
case "$(uname -m)" in aarch64 | arm64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
out="artifacts/cold-start/$rid"
# The AOT compiler links with clang by default; Debian's gcc does the same job where clang is absent.
linker=()
command -v clang >/dev/null 2>&1 || linker=(-p:CppCompilerAndLinker=gcc)
dotnet publish src/EdgeGuard -c Release -r "$rid" -p:PublishAot=true "${linker[@]}" -o "$out" >/dev/null
echo "Native AOT build: $out/edgeguard ($(du -h "$out/edgeguard" | cut -f1))"
python3 bench/cold-start/measure.py "$out/edgeguard" src/EdgeGuard/appsettings.json "$runs"
