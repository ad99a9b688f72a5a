#!/usr/bin/env bash
# Builds the release tarball a technician provisions gateways from (deploy/provision-gateway.sh):
#   edgeguard-<version>-<rid>.tar.gz and edgeguard-<version>-<rid>.tar.gz.sha256
# holding a self-contained, trimmed, ReadyToRun publish of src/EdgeGuard (no .NET on the gateway),
# the config template and samples (never beside the executable), the deploy scripts, the systemd
# unit, the office's guide and the hardware docs.
#
#   deploy/build-release.sh [--rid linux-arm64|linux-x64] [--out DIR] [--version V] [--framework-dependent]
#
# --framework-dependent packages a plain (portable, untrimmed) publish that needs the .NET runtime
# on the target: seconds instead of minutes, for tests on the build machine (its RID only). A
# gateway gets the self-contained default.
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

die() {
  echo "build-release: $*" >&2
  exit 1
}

repo=$(cd "$(dirname "$0")/.." && pwd)
rid=linux-arm64
out="$repo/artifacts/release"
version=""
framework_dependent=false
while [ "$#" -gt 0 ]; do
  case "$1" in
    --rid) rid=${2:?--rid needs a value}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --version) version=${2:?--version needs a value}; shift 2 ;;
    --framework-dependent) framework_dependent=true; shift ;;
    -h | --help) usage ;;
    *) echo "build-release: unknown argument '$1'" >&2; usage ;;
  esac
done

case "$rid" in
  linux-arm64 | linux-x64) ;;
  *) die "--rid must be linux-arm64 (Raspberry Pi OS 64-bit) or linux-x64, not '$rid'" ;;
esac

host_rid() {
  case "$(uname -m)" in
    aarch64 | arm64) echo linux-arm64 ;;
    x86_64 | amd64) echo linux-x64 ;;
    *) uname -m ;;
  esac
}

if [ -z "$version" ]; then
  # A release tag v1.2.3 gives 1.2.3; between tags 1.2.3-4-gabc1234; with no tag 0.0.0-gabc1234.
  if described=$(git -C "$repo" describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
    version=${described#v}
  else
    version="0.0.0-g$(git -C "$repo" rev-parse --short=7 HEAD)"
    git -C "$repo" diff --quiet HEAD 2>/dev/null || version="$version-dirty"
  fi
fi
# The version names a directory on the gateway (/opt/edgeguard/<version>) and the tarball.
[[ "$version" =~ ^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$ ]] || die "version '$version' must be 1-64 of [0-9A-Za-z.+_-]"

commit=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)
name="edgeguard-$version-$rid"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg="$stage/$name"
mkdir -p "$pkg/app" "$pkg/config/samples" "$pkg/deploy" "$pkg/hardware"

# Satellite resources (System.CommandLine's translations) and XML docs are of no use on a gateway.
publish=(dotnet publish "$repo/src/EdgeGuard/EdgeGuard.csproj" -c Release -o "$pkg/app" --nologo
  -p:SatelliteResourceLanguages=en -p:PublishDocumentationFiles=false)
if [ "$framework_dependent" = true ]; then
  [ "$rid" = "$(host_rid)" ] || die "--framework-dependent builds for this machine ($(host_rid)) only, not $rid"
  # No RID: the portable build output the tests already compiled, plus an apphost for this machine.
  publish+=(--no-self-contained)
  self_contained=false
else
  # Trimmed: every shipped project is trim/AOT-analysed at build time and ILLink treats trim
  # warnings as errors, so a publish that succeeds is one the trimmer proved safe (the one
  # harmless warning in System.Device.Gpio is suppressed per method in
  # src/EdgeGuard/ILLink.Suppressions.xml; MQTTnet, System.CommandLine, Microsoft.Data.Sqlite and
  # SQLitePCLRaw, System.Text.Json and Microsoft.Extensions.* publish without warnings).
  # ReadyToRun: precompiled code, so a gateway re-arms after a power cut without waiting for the JIT.
  publish+=(-r "$rid" --self-contained -p:PublishTrimmed=true -p:PublishReadyToRun=true)
  self_contained=true
fi
echo "build-release: ${publish[*]}"
"${publish[@]}"
[ -x "$pkg/app/edgeguard" ] || die "publish produced no executable $pkg/app/edgeguard"
# The sample config (embassy-demo, relative stateDirectory) must not sit beside the executable,
# where every verb without --config would read it (a hand-run `edgeguard run` would drive its pin
# map on real relays). Without it, such a verb stops with "configuration file not found", exit 2.
# It ships as the template config/appsettings.json; the Dockerfile removes it likewise.
rm -f "$pkg/app/appsettings.json"

cp "$repo/src/EdgeGuard/appsettings.json" "$pkg/config/appsettings.json"
cp "$repo"/src/EdgeGuard/samples/*.json "$pkg/config/samples/"
# provision-gateway.sh sources its helpers from beside it: every provision-*.sh ships.
cp "$repo/deploy/provision-gateway.sh" "$repo/deploy/provision-lib.sh" "$repo/deploy/provision-state.sh" \
  "$repo/deploy/provision-system.sh" "$repo/deploy/provision-tls.sh" \
  "$repo/deploy/render-config.py" "$repo/deploy/edgeguard.service" "$repo/deploy/README.md" "$pkg/deploy/"
cp "$repo/deploy/README.md" "$pkg/app/README.md"
# What deploy/README.md sends the technician to, at the repository's paths so its links hold in
# both: the wiring guide (an upgrade that refuses the wiring stops at it) and the office's guide
# (its time server, a compromised broker key). Not the office's scripts: they run on the CA's
# machine, from the repository.
mkdir -p "$pkg/deploy/office"
cp "$repo/deploy/office/README.md" "$pkg/deploy/office/README.md"
cp "$repo/hardware/README.md" "$repo/hardware/WIRING.md" "$pkg/hardware/"
chmod 755 "$pkg/deploy/provision-gateway.sh"

# key=value lines; provision-gateway.sh reads them without executing anything.
cat >"$pkg/MANIFEST" <<MANIFEST
name=edgeguard
version=$version
rid=$rid
selfContained=$self_contained
commit=$commit
MANIFEST
# A build from uncommitted changes shares its version (…-dirty, or the --version given) and commit
# with every other such build: its MANIFEST names its content too, or provision-gateway.sh would take
# another one for the same build and copy its binaries over the running release before validating.
# Untracked files count too (not ignored ones) where the SDK reads them: every *.cs under a project,
# added or not, and the build files at the root. Elsewhere they do not: a stray notes file beside a
# tag's checkout is the same build.
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ] ||
  [ -n "$(git -C "$repo" status --porcelain -- src Directory.Build.props Directory.Build.targets \
    Directory.Packages.props global.json NuGet.config nuget.config 2>/dev/null)" ]; then
  content=$(cd "$pkg/app" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
  echo "content=${content%% *}" >>"$pkg/MANIFEST"
fi
cp "$pkg/MANIFEST" "$pkg/app/MANIFEST"

mkdir -p "$out"
out=$(cd "$out" && pwd)
tarball="$out/$name.tar.gz"
# Reproducible: sorted names, no build-machine owners, file times from the commit.
epoch=$(git -C "$repo" log -1 --format=%ct 2>/dev/null || echo 0)
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -cf - "$name" |
  gzip -n -9 >"$tarball.tmp"
mv -f "$tarball.tmp" "$tarball"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "build-release: $tarball ($(du -h "$tarball" | cut -f1)), self-contained=$self_contained"
echo "build-release: $tarball.sha256"
