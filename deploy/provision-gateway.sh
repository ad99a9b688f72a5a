#!/usr/bin/env bash
# Provisions a Raspberry Pi OS (Bookworm or Trixie) gateway from a release tarball
# (deploy/build-release.sh). Run as root; safe to run again: identical files are left alone and
# reported "unchanged". See deploy/README.md for what each step does and why.
#
#   provision-gateway.sh --tarball edgeguard-V-RID.tar.gz --site SITE --gateway GW
#       --broker HOST:PORT --ca CA.pem --cert GW.crt --key GW.key
#       [--root DIR] [--dry-run] [--no-tls] [--config-template FILE] [--driver libgpiod|libgpiodV2] [--chip CHIP]
#
#   --root DIR   install into the tree at DIR (an SD card's root file system, a test directory);
#                apt, useradd and systemctl are skipped and printed, the unit is enabled by its
#                symlink. Ownership uses DIR's /etc/passwd and /etc/group when they list the user.
#   --dry-run    print the plan, change nothing (validates the configuration in a scratch directory).
#   --no-tls     plain MQTT, no certificates: only for a loopback or isolated test broker (the
#                gateway itself refuses plain MQTT to any other host).
#   --config-template FILE  the site's own config (pin map) instead of the tarball's sample.
#   --driver     default from the OS: libgpiod (Bookworm, libgpiod2) or libgpiodV2 (Trixie, libgpiod3).
set -euo pipefail
umask 022

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "provision-gateway: error: $*" >&2
  exit 1
}

tarball="" site="" gateway="" broker="" ca="" cert="" key="" root="" template="" driver="" chip=""
dry_run=false no_tls=false
while [ "$#" -gt 0 ]; do
  case "$1" in
    --tarball) tarball=${2:?}; shift 2 ;;
    --site) site=${2:?}; shift 2 ;;
    --gateway) gateway=${2:?}; shift 2 ;;
    --broker) broker=${2:?}; shift 2 ;;
    --ca) ca=${2:?}; shift 2 ;;
    --cert) cert=${2:?}; shift 2 ;;
    --key) key=${2:?}; shift 2 ;;
    --root) root=${2:?}; shift 2 ;;
    --config-template) template=${2:?}; shift 2 ;;
    --driver) driver=${2:?}; shift 2 ;;
    --chip) chip=${2:?}; shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    --no-tls) no_tls=true; shift ;;
    -h | --help) usage ;;
    *) echo "provision-gateway: unknown argument '$1'" >&2; usage ;;
  esac
done

# --- arguments -------------------------------------------------------------------------------
[ -n "$tarball" ] || die "--tarball is required"
[ -f "$tarball" ] || die "tarball '$tarball' not found"
id_re='^[a-z0-9_-]{1,64}$'
[[ "$site" =~ $id_re ]] || die "--site must be 1-64 of a-z 0-9 - _ (it becomes an MQTT topic level), got '$site'"
[[ "$gateway" =~ $id_re ]] || die "--gateway must be 1-64 of a-z 0-9 - _, got '$gateway'"
[[ "$broker" =~ ^(\[([0-9A-Fa-f:.]+)\]|([^:]+)):([0-9]{1,5})$ ]] || die "--broker must be HOST:PORT (or [IPv6]:PORT), got '$broker'"
broker_host=${BASH_REMATCH[2]:-${BASH_REMATCH[3]}}
broker_port=$((10#${BASH_REMATCH[4]}))
if [ "$broker_port" -lt 1 ] || [ "$broker_port" -gt 65535 ]; then die "--broker port must be 1-65535"; fi
if [ "$no_tls" = true ]; then
  [ -z "$ca$cert$key" ] || die "--no-tls and --ca/--cert/--key exclude each other"
else
  for pair in "--ca:$ca" "--cert:$cert" "--key:$key"; do
    [ -n "${pair#*:}" ] || die "${pair%%:*} is required (or --no-tls for a loopback test broker)"
    if [ ! -f "${pair#*:}" ] || [ ! -r "${pair#*:}" ]; then die "${pair%%:*} file '${pair#*:}' is not a readable file"; fi
  done
fi
[ -z "$template" ] || [ -f "$template" ] || die "--config-template '$template' not found"
case "$driver" in "" | libgpiod | libgpiodV2) ;; *) die "--driver must be libgpiod or libgpiodV2" ;; esac
command -v python3 >/dev/null 2>&1 || die "python3 is needed to write the JSON config (apt-get install python3)"

# mode: system (the real /), root (--root DIR) — either may be a dry run.
R=""
mode=system
if [ -n "$root" ]; then
  mkdir -p "$root" 2>/dev/null || [ -d "$root" ] || die "--root '$root' is not a directory"
  [ -d "$root" ] || die "--root '$root' is not a directory"
  R=$(cd "$root" && pwd)
  [ "$R" != / ] || R=""
  mode=root
fi
[ "$mode" = root ] || [ "$dry_run" = true ] || [ "$(id -u)" -eq 0 ] || die "run as root (or use --root DIR / --dry-run)"

changes=0
note() { echo "  $*"; }
indent() { sed 's/^/    /'; }
# Report one item: unchanged / installed / updated / ...; counts everything but "unchanged".
report() {
  local what=$1
  shift
  if [ "$what" = unchanged ]; then
    note "unchanged  $*"
  else
    changes=$((changes + 1))
    if [ "$dry_run" = true ]; then note "would: $what  $*"; else note "$what  $*"; fi
  fi
}
# A command for the real system: run it, or print it under --root / --dry-run.
system() {
  if [ "$dry_run" = true ]; then
    note "would run: $*"
  elif [ "$mode" = root ]; then
    note "skipped (--root): $*"
  else
    "$@"
  fi
}

# --- the tarball ---------------------------------------------------------------------------
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
if [ -f "$tarball.sha256" ]; then
  expected=$(cut -d' ' -f1 "$tarball.sha256")
  actual=$(sha256sum "$tarball" | cut -d' ' -f1)
  [ "$expected" = "$actual" ] || die "$tarball does not match $tarball.sha256 (corrupt or tampered download)"
  sha_note="sha256 verified"
else
  sha_note="no $tarball.sha256 beside it: not verified"
fi
tar -xzf "$tarball" -C "$staging" --no-same-owner
pkg=$(find "$staging" -mindepth 1 -maxdepth 1 -type d -name 'edgeguard-*' | head -n 1)
if [ -z "$pkg" ] || [ ! -f "$pkg/MANIFEST" ] || [ ! -x "$pkg/app/edgeguard" ]; then
  die "$tarball is not an EdgeGuard release (no MANIFEST or app/edgeguard)"
fi
manifest() { sed -n "s/^$1=//p" "$pkg/MANIFEST" | head -n 1; }
version=$(manifest version)
rid=$(manifest rid)
[[ "$version" =~ ^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$ ]] || die "MANIFEST version '$version' is not usable as a directory name"
[ -n "$template" ] || template="$pkg/config/appsettings.json"

# The validator is the release's own binary; another architecture runs only under qemu-user.
case "$(uname -m)" in aarch64 | arm64) host_rid=linux-arm64 ;; x86_64 | amd64) host_rid=linux-x64 ;; *) host_rid=$(uname -m) ;; esac
runner=()
if [ "$rid" != "$host_rid" ]; then
  [ "$mode" = root ] || [ "$dry_run" = true ] || die "this is a $rid release but this machine is $host_rid"
  case "$rid" in linux-arm64) qemu="qemu-aarch64-static" ;; *) qemu="qemu-x86_64-static" ;; esac
  command -v "$qemu" >/dev/null 2>&1 || die "the $rid validator cannot run on this $host_rid machine: install qemu-user-static, or provision on the gateway"
  runner=("$qemu")
fi

# libgpiod v1 (libgpiod.so.2) on Bookworm, v2 (libgpiod.so.3) on Trixie.
# Read, never sourced: under --root the file belongs to another system.
codename=$(sed -n 's/^VERSION_CODENAME=["'"'"']\{0,1\}\([a-z]*\).*/\1/p' "$R/etc/os-release" 2>/dev/null || true)
case "${driver:-$codename}" in
  bookworm | libgpiod) driver=libgpiod gpiod_pkg=libgpiod2 ;;
  trixie | libgpiodV2) driver=libgpiodV2 gpiod_pkg=libgpiod3 ;;
  *) die "unknown OS '${codename:-none}' in $R/etc/os-release: pass --driver libgpiod (libgpiod v1) or libgpiodV2" ;;
esac

echo "provision-gateway: EdgeGuard $version ($rid) from $tarball ($sha_note)"
echo "  target: ${R:-/}${root:+ (--root)}${dry_run:+}$([ "$dry_run" = true ] && echo ' (dry run: nothing is changed)')"
echo "  site $site, gateway $gateway, broker $broker_host:$broker_port, driver $driver"

# --- packages, user, groups ----------------------------------------------------------------
echo "packages and accounts:"
if [ "$mode" = root ]; then
  system "apt-get install --no-install-recommends $gpiod_pkg (when missing)"
elif dpkg-query -W -f='${Status}' "$gpiod_pkg" 2>/dev/null | grep -q 'ok installed'; then
  report unchanged "package $gpiod_pkg"
else
  report installed "package $gpiod_pkg"
  system apt-get update -qq
  system env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$gpiod_pkg"
fi
if [ "$mode" = system ]; then
  for group in gpio i2c spi; do
    if getent group "$group" >/dev/null; then report unchanged "group $group"; else report created "group $group"; system groupadd --system "$group"; fi
  done
  if id edgeguard >/dev/null 2>&1; then
    report unchanged "user edgeguard"
    for group in gpio i2c spi; do
      id -nG edgeguard | tr ' ' '\n' | grep -qx "$group" || { report added "user edgeguard to group $group"; system usermod -a -G "$group" edgeguard; }
    done
  else
    report created "user edgeguard"
    system useradd --system --user-group --home-dir /var/lib/edgeguard --no-create-home \
      --shell /usr/sbin/nologin --groups gpio,i2c,spi --comment "EdgeGuard gateway" edgeguard
  fi
else
  system "groupadd --system gpio|i2c|spi (where missing);" \
    "useradd --system --user-group --groups gpio,i2c,spi --shell /usr/sbin/nologin edgeguard"
fi

# Ownership as numbers, from the target's own account database (under --root, DIR's).
lookup() { { sed -n "s/^$2:[^:]*:\([0-9]*\):.*/\1/p" "$R/etc/$1" 2>/dev/null || true; } | head -n 1; }
if [ "$mode" = system ] && [ "$dry_run" = false ]; then
  eg_uid=$(id -u edgeguard) eg_gid=$(getent group edgeguard | cut -d: -f3)
else
  eg_uid=$(lookup passwd edgeguard) eg_gid=$(lookup group edgeguard)
fi
can_chown=true
if [ -z "$eg_uid" ] || [ -z "$eg_gid" ] || [ "$(id -u)" -ne 0 ]; then
  can_chown=false
  [ "$dry_run" = true ] || note "ownership not set: no edgeguard user in ${R}/etc/passwd and group (or not root); files stay root's"
fi
owner_of() { case "$1" in root) echo 0 ;; edgeguard) echo "${eg_uid:-0}" ;; esac; }
group_of() { case "$1" in root) echo 0 ;; edgeguard) echo "${eg_gid:-0}" ;; esac; }

# --- files ---------------------------------------------------------------------------------
# fix_attrs PATH MODE OWNER GROUP: chmod/chown only what differs; echoes what it fixed.
fix_attrs() {
  local path=$1 mode=$2 uid gid want fixed=""
  uid=$(owner_of "$3") gid=$(group_of "$4")
  [ "$(stat -c %a "$path")" = "$mode" ] || { [ "$dry_run" = true ] || chmod "$mode" "$path"; fixed="mode $mode"; }
  if [ "$can_chown" = true ]; then
    want="$uid:$gid"
    [ "$(stat -c %u:%g "$path")" = "$want" ] || { [ "$dry_run" = true ] || chown -h "$want" "$path"; fixed="${fixed:+$fixed, }owner $3:$4"; }
  fi
  echo "$fixed"
}
ensure_dir() {
  local dest=$R$1 fixed
  if [ ! -d "$dest" ]; then
    report created "$1/ ($2 $3:$4)"
    [ "$dry_run" = true ] && return
    mkdir -p "$dest"
    fix_attrs "$dest" "$2" "$3" "$4" >/dev/null
  else
    fixed=$(fix_attrs "$dest" "$2" "$3" "$4")
    if [ -n "$fixed" ]; then report fixed "$1/ ($fixed)"; else report unchanged "$1/"; fi
  fi
}
# install_file SRC DEST MODE OWNER GROUP [quiet]: writes only when the content differs (atomically).
install_file() {
  local src=$1 rel=$2 dest=$R$2 what fixed
  if [ -f "$dest" ] && [ ! -L "$dest" ] && cmp -s "$src" "$dest"; then
    fixed=$(fix_attrs "$dest" "$3" "$4" "$5")
    if [ -n "$fixed" ]; then what="fixed ($fixed)"; else what=unchanged; fi
  else
    if [ -e "$dest" ]; then what=updated; else what=installed; fi
    if [ "$dry_run" = false ]; then
      cp "$src" "$dest.provision-tmp"
      fix_attrs "$dest.provision-tmp" "$3" "$4" "$5" >/dev/null
      mv -f "$dest.provision-tmp" "$dest"
    fi
  fi
  if [ "${6:-}" = quiet ]; then echo "$what"; else report "$what" "$rel"; fi
}
ensure_symlink() {
  local rel=$1 target=$2 dest=$R$1
  if [ -L "$dest" ] && [ "$(readlink "$dest")" = "$target" ]; then
    report unchanged "$rel -> $target"
    return
  fi
  report "$([ -L "$dest" ] && echo updated || echo created)" "$rel -> $target"
  [ "$dry_run" = true ] && return
  ln -sfn "$target" "$dest.provision-tmp"
  mv -Tf "$dest.provision-tmp" "$dest"
}

echo "directories:"
ensure_dir /opt/edgeguard 755 root root
ensure_dir /etc/edgeguard 750 root edgeguard
ensure_dir /etc/edgeguard/tls 750 root edgeguard
ensure_dir /var/lib/edgeguard 750 edgeguard edgeguard
ensure_dir /etc/systemd/system 755 root root

echo "application:"
app="/opt/edgeguard/$version"
[ -d "$R$app" ] || [ "$dry_run" = true ] || mkdir -p "$R$app"
app_changed=0 app_files=0
while IFS= read -r -d '' rel; do
  app_files=$((app_files + 1))
  if [ -d "$pkg/app/$rel" ]; then
    [ -d "$R$app/$rel" ] && continue
    app_changed=$((app_changed + 1))
    [ "$dry_run" = true ] || { mkdir -p "$R$app/$rel"; chmod 755 "$R$app/$rel"; }
    continue
  fi
  perm=644
  [ -x "$pkg/app/$rel" ] && perm=755
  [ -d "$R$app" ] || { app_changed=$((app_changed + 1)); continue; }
  [ "$(install_file "$pkg/app/$rel" "$app/$rel" "$perm" root root quiet)" = unchanged ] || app_changed=$((app_changed + 1))
done < <(cd "$pkg/app" && find . -mindepth 1 -printf '%P\0' | sort -z)
# Files in the version's directory that the release does not have were not put there by us.
if [ -d "$R$app" ]; then
  while IFS= read -r -d '' extra; do
    app_changed=$((app_changed + 1))
    [ "$dry_run" = true ] || rm -rf "${R:?}$app/$extra"
  done < <(cd "$R$app" && find . -mindepth 1 -printf '%P\0' | while IFS= read -r -d '' p; do [ -e "$pkg/app/$p" ] || printf '%s\0' "$p"; done)
fi
if [ "$app_changed" -eq 0 ]; then report unchanged "$app/ ($app_files files)"; else report installed "$app/ ($app_changed of $app_files files)"; fi

echo "TLS:"
if [ "$no_tls" = false ]; then
  # A key that does not belong to the certificate would only show as a failed TLS handshake later.
  if command -v openssl >/dev/null 2>&1; then
    [ "$(openssl x509 -noout -pubkey -in "$cert" 2>/dev/null)" = "$(openssl pkey -pubout -in "$key" 2>/dev/null)" ] ||
      die "--key does not belong to --cert (their public keys differ)"
  fi
  install_file "$ca" /etc/edgeguard/tls/ca.pem 644 root edgeguard
  install_file "$cert" /etc/edgeguard/tls/gateway.crt 644 root edgeguard
  # The service may read its key, not change or replace it: root owns it, group edgeguard reads.
  install_file "$key" /etc/edgeguard/tls/gateway.key 640 root edgeguard
else
  note "none (--no-tls)"
fi

echo "configuration:"
rendered="$staging/appsettings.json"
# The template with this gateway's identity, broker, TLS files and state directory filled in.
tls_flag=--tls
[ "$no_tls" = false ] || tls_flag=--no-tls
python3 "$pkg/deploy/render-config.py" "$template" "$rendered" --site "$site" --gateway "$gateway" \
  --host "$broker_host" --port "$broker_port" --driver "$driver" --chip "$chip" "$tls_flag" ||
  die "cannot write the configuration from '$template'"

config=/etc/edgeguard/appsettings.json
if [ -f "$R$config" ] && cmp -s "$rendered" "$R$config"; then
  config_state=unchanged
  candidate=$R$config
elif [ "$dry_run" = true ]; then
  config_state=$([ -f "$R$config" ] && echo updated || echo installed)
  candidate=$rendered
else
  # Validated before it replaces anything: a refused config never reaches the running gateway.
  config_state=$([ -f "$R$config" ] && echo updated || echo installed)
  candidate=$R$config.new
  cp "$rendered" "$candidate"
  fix_attrs "$candidate" 640 root edgeguard >/dev/null
fi

# The release's own validator, in a clean environment (a technician's EdgeGuard__* variables
# must not make it pass), as the service user on a real system (it must be able to read the
# config and the key). Outside the real system the TLS paths point at the files as they are here.
validator=$R$app/edgeguard
[ "$dry_run" = false ] || validator=$pkg/app/edgeguard
venv=(env -i "PATH=/usr/sbin:/usr/bin:/sbin:/bin" ${DOTNET_ROOT:+"DOTNET_ROOT=$DOTNET_ROOT"})
if [ "$no_tls" = false ] && { [ "$mode" = root ] || [ "$dry_run" = true ]; }; then
  tls_ca=$R/etc/edgeguard/tls/ca.pem tls_cert=$R/etc/edgeguard/tls/gateway.crt tls_key=$R/etc/edgeguard/tls/gateway.key
  [ "$dry_run" = false ] || { tls_ca=$ca tls_cert=$cert tls_key=$key; }
  venv+=("EdgeGuard__mqtt__tls__caFile=$tls_ca" "EdgeGuard__mqtt__tls__certFile=$tls_cert" "EdgeGuard__mqtt__tls__keyFile=$tls_key")
fi
as_user=()
[ "$mode" = system ] && [ "$dry_run" = false ] && as_user=(runuser -u edgeguard --)
echo "  validating: edgeguard validate --config $config"
if ! output=$("${venv[@]}" "${as_user[@]}" "${runner[@]}" "$validator" validate --config "$candidate" 2>&1); then
  [ "$candidate" != "$R$config.new" ] || rm -f "$candidate"
  indent <<<"$output" >&2
  die "the configuration was refused by edgeguard validate; nothing was enabled${R:+ (under --root)}"
fi
indent <<<"$output"
if [ "$config_state" != unchanged ] && [ "$dry_run" = false ]; then
  mv -f "$candidate" "$R$config"
fi
report "$config_state" "$config (640 root:edgeguard)"

echo "service:"
previous=$(readlink "$R/opt/edgeguard/current" 2>/dev/null || true)
ensure_symlink /opt/edgeguard/current "$version"
unit_state=$(install_file "$pkg/deploy/edgeguard.service" /etc/systemd/system/edgeguard.service 644 root root quiet)
report "$unit_state" /etc/systemd/system/edgeguard.service
# Keep the running version and the one it replaced (rollback: point current back); older go.
for dir in "$R"/opt/edgeguard/*; do
  old=$(basename "$dir")
  # Only real release directories: never `current` (rm -rf through a symlink empties its target).
  if [ -L "$dir" ] || [ ! -f "$dir/MANIFEST" ] || [ "$old" = "$version" ] || [ "$old" = "$previous" ]; then continue; fi
  report removed "/opt/edgeguard/$old (older release)"
  [ "$dry_run" = true ] || rm -rf "${dir:?}"
done
if [ "$mode" = root ]; then
  # What `systemctl enable` does for WantedBy=multi-user.target, without a running systemd.
  [ -d "$R/etc/systemd/system/multi-user.target.wants" ] || [ "$dry_run" = true ] || mkdir -p "$R/etc/systemd/system/multi-user.target.wants"
  ensure_symlink /etc/systemd/system/multi-user.target.wants/edgeguard.service /etc/systemd/system/edgeguard.service
  system systemctl daemon-reload
  system systemctl start edgeguard.service
else
  [ "$unit_state" = unchanged ] || system systemctl daemon-reload
  if [ "$dry_run" = false ] && systemctl is-active --quiet edgeguard.service && [ "$changes" -gt 0 ]; then
    # enable --now leaves a running service alone; the new release or config needs a restart.
    system systemctl restart edgeguard.service
    note "restarted edgeguard.service"
  fi
  if [ "$dry_run" = true ] || ! systemctl is-enabled --quiet edgeguard.service || ! systemctl is-active --quiet edgeguard.service; then
    report enabled "edgeguard.service (systemctl enable --now)"
    system systemctl enable --now edgeguard.service
  else
    report unchanged "edgeguard.service enabled and running"
  fi
fi

if [ "$dry_run" = true ]; then
  echo "provision-gateway: dry run: $changes change(s) would be made; nothing was changed"
elif [ "$changes" -eq 0 ]; then
  echo "provision-gateway: nothing changed (everything unchanged)"
else
  echo "provision-gateway: done, $changes change(s)"
fi
