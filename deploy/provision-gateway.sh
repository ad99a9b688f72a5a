#!/usr/bin/env bash
# Provisions a Raspberry Pi OS (Bookworm or Trixie) gateway from a release tarball
# (deploy/build-release.sh). Run as root; safe to run again: identical files are left alone and
# reported "unchanged". See deploy/README.md for what each step does and why.
#
#   provision-gateway.sh --tarball edgeguard-V-RID.tar.gz --site SITE --gateway GW
#       --broker HOST:PORT --ca CA.pem --cert GW.crt --key GW.key
#       [--root DIR] [--dry-run] [--no-tls] [--config-template FILE | --demo] [--driver libgpiod|libgpiodV2] [--chip CHIP]
#       [--time-server HOST] [--force] [--no-checksum]
#
#   --root DIR   install into the tree at DIR (an SD card's root file system, a test directory);
#                apt, useradd and systemctl are skipped and printed. Ownership uses DIR's /etc/passwd
#                and /etc/group when they list the user; the unit is enabled (by its symlink) only
#                when they list user edgeguard in groups gpio, i2c and spi, else "NOT enabled" (exit 0).
#   --dry-run    print the plan, change nothing (validates the configuration in a scratch directory).
#   --no-tls     plain MQTT, no certificates: only for a loopback or isolated test broker (writes
#                mqtt.tls.enabled false, the opt-out the gateway requires for plain MQTT to a host
#                not on loopback; it still refuses a broker password over it).
#   --config-template FILE  the site's own config (pin map). Without it a gateway's installed
#                config is kept (this run's ids, broker, TLS files and state directory filled in); a
#                first install without it is refused.
#   --demo       a first install without --config-template takes the tarball's sample, a DEMO pin
#                map (a bench or demo gateway only: its relays and inputs are the demo's wiring).
#   --driver     default from the OS: libgpiod (Bookworm, libgpiod2) or libgpiodV2 (Trixie, libgpiod3).
#   --force      install --cert even when it is older than the installed gateway.crt (its notBefore
#                earlier, or the same and its notAfter earlier), which is refused otherwise.
#   --no-checksum  install a tarball that has no TARBALL.sha256 beside it, which is refused otherwise
#                (one that is there is checked all the same). The .sha256 catches a copy corrupted in
#                transit; it travels with the tarball, so it cannot tell a tampered one (deploy/README.md).
#   --time-server HOST  the NTP server systemd-timesyncd uses (default: the one an earlier run was
#                given, else the broker's host, which the office runs one on: deploy/office/README.md). Office commands carry the office's
#                time and are refused beyond 30 s of skew, so a gateway without a time source (no
#                RTC, reaching nothing but its broker) loses the office's commands after a power cut.
set -euo pipefail
# set -e also inside $(...): a failed copy in install_file must stop the script, not report "installed".
shopt -s inherit_errexit
umask 022

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "provision-gateway: error: $*" >&2
  exit 1
}

tarball="" site="" gateway="" broker="" ca="" cert="" key="" root="" template="" driver="" chip="" time_server=""
dry_run=false no_tls=false force=false demo=false no_checksum=false
while [ "$#" -gt 0 ]; do
  case "$1" in
    --tarball) tarball=${2:?"$1 needs a value"}; shift 2 ;;
    --site) site=${2:?"$1 needs a value"}; shift 2 ;;
    --gateway) gateway=${2:?"$1 needs a value"}; shift 2 ;;
    --broker) broker=${2:?"$1 needs a value"}; shift 2 ;;
    --ca) ca=${2:?"$1 needs a value"}; shift 2 ;;
    --cert) cert=${2:?"$1 needs a value"}; shift 2 ;;
    --key) key=${2:?"$1 needs a value"}; shift 2 ;;
    --root) root=${2:?"$1 needs a value"}; shift 2 ;;
    --config-template) template=${2:?"$1 needs a value"}; shift 2 ;;
    --driver) driver=${2:?"$1 needs a value"}; shift 2 ;;
    --chip) chip=${2:?"$1 needs a value"}; shift 2 ;;
    --time-server) time_server=${2:?"$1 needs a value"}; shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    --no-tls) no_tls=true; shift ;;
    --force) force=true; shift ;;
    --no-checksum) no_checksum=true; shift ;;
    --demo) demo=true; shift ;;
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
# A host name, an IPv4 address, or an IPv6 address (two colons at least): never HOST:PORT.
if [ -n "$time_server" ] && ! [[ "$time_server" =~ ^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$ ]] &&
  ! [[ "$time_server" =~ ^[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*$ ]]; then
  die "--time-server must be a host name or an IP address (no port, no brackets), got '$time_server'"
fi
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
# The TLS checks (key and certificate a pair, CN and OU, the CA that issued it, no older certificate
# over the installed one) need openssl: without it they were skipped, and a wrong --ca or an old
# certificate was installed, exit 0.
if [ "$no_tls" = false ] && ! command -v openssl >/dev/null 2>&1; then
  die "openssl is needed to check --ca, --cert and --key before they are installed (apt-get install openssl); nothing was changed"
fi

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

changes=0 staged=() warnings=()
# Helpers (report, system, stage_file, install_file, ...) ship beside this script.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for lib in provision-lib.sh provision-state.sh provision-system.sh provision-tls.sh; do
  [ -f "$here/$lib" ] || die "$here/$lib is missing: extract the release's whole deploy/ directory"
done
# shellcheck source=deploy/provision-lib.sh
. "$here/provision-lib.sh"
# Packages and accounts, the unit's enabling, the clock's source, the tmpfiles.d entry.
# shellcheck source=deploy/provision-system.sh
. "$here/provision-system.sh"
# The key, certificate and CA checked, then staged for the validator.
# shellcheck source=deploy/provision-tls.sh
. "$here/provision-tls.sh"
# What is already in the state directory: its files' owners, the journal's schema.
# shellcheck source=deploy/provision-state.sh
. "$here/provision-state.sh"

# --- the tarball ---------------------------------------------------------------------------
staging=$(mktemp -d)
# Staged *.new files that were not moved into place (a refusal, an error) go with the scratch directory.
trap 'rm -rf "$staging"; [ "${#staged[@]}" -eq 0 ] || rm -f -- "${staged[@]}"' EXIT
# The .sha256 build-release.sh writes beside the tarball catches a copy corrupted in transit (a
# truncated download, a bad USB stick). It travels with the tarball, so whoever can change one can
# change the other: it does not catch tampering (a detached signature would; deploy/README.md).
# Missing, the copy was not checked at all, which said only "not verified" before: now refused
# unless --no-checksum.
if [ -f "$tarball.sha256" ]; then
  expected=$(cut -d' ' -f1 "$tarball.sha256")
  actual=$(sha256sum "$tarball" | cut -d' ' -f1)
  [ "$expected" = "$actual" ] || die "$tarball does not match $tarball.sha256 (corrupted in transit, a truncated" \
    "or damaged copy, or altered); copy both files again from the build (deploy/build-release.sh writes them side by side)"
  sha_note="sha256 verified"
elif [ "$no_checksum" = true ]; then
  sha_note="$tarball.sha256 missing: NOT verified, --no-checksum"
  warn "the tarball was not checked against its .sha256 (--no-checksum): a copy corrupted in transit would not" \
    "have been noticed"
else
  die "no $tarball.sha256 beside the tarball: it is needed to check that the copy was not corrupted in" \
    "transit. Copy it from the build (deploy/build-release.sh writes it beside the tarball), or give" \
    "--no-checksum to install unchecked; nothing was changed"
fi
tar -xzf "$tarball" -C "$staging" --no-same-owner
pkg=$(find "$staging" -mindepth 1 -maxdepth 1 -type d -name 'edgeguard-*' -print -quit)
if [ -z "$pkg" ] || [ ! -f "$pkg/MANIFEST" ] || [ ! -x "$pkg/app/edgeguard" ]; then
  die "$tarball is not an EdgeGuard release (no MANIFEST or app/edgeguard)"
fi
manifest() { sed -n "s/^$1=//p" "$pkg/MANIFEST" | sed -n 1p; }
version=$(manifest version)
rid=$(manifest rid)
[[ "$version" =~ ^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$ ]] || die "MANIFEST version '$version' is not usable as a directory name"
# Without --config-template a gateway that has a config keeps it: a re-run (a certificate
# rotation, an upgrade) fills this run's values into the installed config, never the release's
# sample, whose demo pin map would put other panic, fire and egress lines under the gateway. A
# first install takes the sample only when asked (--demo): a forgotten option gave a gateway that
# drives relays on another wiring's lines and reads no real fire input, enabled, exit 0.
config=/etc/edgeguard/appsettings.json
demo_config=false
if [ -n "$template" ]; then
  template_note="the site's template $template (--config-template)"
elif [ -f "$R$config" ]; then
  template="$R$config" template_note="the installed $config (no --config-template; hand edits kept)"
elif [ "$demo" = true ]; then
  template="$pkg/config/appsettings.json" template_note="the release's sample config/appsettings.json, a demo pin map (--demo)"
  demo_config=true
else
  die "a first install needs the site's config: --config-template FILE (its pin map; start from the" \
    "release's config/appsettings.json or config/samples/). Only for a bench or demo gateway, --demo" \
    "installs the release's demo pin map. Nothing was changed"
fi
# Before anything is written: a version names one build (see provision-lib.sh).
refuse_other_build "$pkg/app/MANIFEST" "/opt/edgeguard/$version"

# The validator is the release's own binary; another architecture runs only under qemu-user.
case "$(uname -m)" in aarch64 | arm64) host_rid=linux-arm64 ;; x86_64 | amd64) host_rid=linux-x64 ;; *) host_rid=$(uname -m) ;; esac
runner=()
if [ "$rid" != "$host_rid" ]; then
  [ "$mode" = root ] || [ "$dry_run" = true ] || die "this is a $rid release but this machine is $host_rid"
  case "$rid" in linux-arm64) qemu="qemu-aarch64-static" ;; *) qemu="qemu-x86_64-static" ;; esac
  command -v "$qemu" >/dev/null 2>&1 || die "the $rid validator cannot run on this $host_rid machine: install qemu-user-static, or provision on the gateway"
  runner=("$qemu")
  # Under --root the card's own loader and C libraries (libgpiod, libc, libstdc++ as the gateway
  # will load them), not this machine's multiarch copies, which may be another version or missing:
  # -L makes qemu look up every absolute path in DIR first and fall back to this machine's path
  # where DIR has no such file (the validator's own paths, already under DIR, are found so too).
  [ -z "$R" ] || runner+=(-L "$R")
fi

# libgpiod v1 (libgpiod.so.2) on Bookworm, v2 (libgpiod.so.3) on Trixie.
# Read, never sourced: under --root the file belongs to another system.
codename=$(sed -n 's/^VERSION_CODENAME=["'"'"']\{0,1\}\([a-z]*\).*/\1/p' "$R/etc/os-release" 2>/dev/null || true)
case "${driver:-$codename}" in
  bookworm | libgpiod) driver=libgpiod gpiod_pkg=libgpiod2 ;;
  trixie | libgpiodV2) driver=libgpiodV2 gpiod_pkg=libgpiod3 ;;
  *) die "unknown OS '${codename:-none}' in $R/etc/os-release: pass --driver libgpiod (libgpiod v1) or libgpiodV2" ;;
esac

# The time server: the one given; else the one an earlier run was given (a re-run to renew a
# certificate must not move a site's GPS clock back to the broker); else the broker's host, the one
# server a gateway is sure to reach (deploy/README.md, "Time"). Given as the broker's host, it
# follows the broker again. The broker's host is not checked here: the release's validator checks
# it as mqtt.host, before the time step writes it.
time_origin=given
if [ -z "$time_server" ]; then
  time_server=$(given_time_server_installed "$pkg/deploy/render-config.py" "$R$config")
  time_origin=kept
  [ -n "$time_server" ] || time_server=$broker_host time_origin=broker
elif [ "$time_server" = "$broker_host" ]; then
  time_origin=broker
fi

echo "provision-gateway: EdgeGuard $version ($rid) from $tarball ($sha_note)"
echo "  target: ${R:-/}${root:+ (--root)}${dry_run:+}$([ "$dry_run" = true ] && echo ' (dry run: nothing is changed)')"
echo "  site $site, gateway $gateway, broker $broker_host:$broker_port, driver $driver, time server $time_server$([ "$time_origin" != kept ] || echo ' (kept: given by an earlier run)')"

# --- packages, user, groups ----------------------------------------------------------------
install_packages_and_accounts "$gpiod_pkg"

# Ownership as numbers, from the target's own account database (under --root, DIR's).
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

echo "directories:"
ensure_dir /opt/edgeguard 755 root root
ensure_dir /etc/edgeguard 750 root edgeguard
ensure_dir /etc/edgeguard/tls 750 root edgeguard
ensure_dir /var/lib/edgeguard 750 edgeguard edgeguard
fix_state_files
ensure_dir /etc/systemd/system 755 root root
ensure_dir /etc/systemd/timesyncd.conf.d 755 root root
ensure_dir /etc/tmpfiles.d 755 root root

echo "application:"
app="/opt/edgeguard/$version"
install_app "$pkg/app" "$app"

# TLS files and the config are staged as *.new, validated together, and only then moved into
# place: a refused config leaves the installed certificates, key and config exactly as they were.
echo "TLS:"
tls_rel=() tls_state=() tls_check=()
if [ "$no_tls" = false ]; then
  check_key_and_certificate "$ca" "$cert" "$key" "$site" "$gateway" "$force"
  # The copy given is the technician's (README section 2 has it copied onto the gateway): one that
  # others can read (from a USB stick, or copied from Windows: 0644) stayed so after the run.
  # Not the installed key itself (a renewal that keeps the key names it): its 0640 is the service's.
  key_mode=$(stat -c '%a' -- "$key")
  if ((8#$key_mode & 8#077)) && ! [ "$key" -ef "$R/etc/edgeguard/tls/gateway.key" ]; then
    warn "--key '$key' can be read by others (mode $key_mode): the gateway's copy is installed 0640 root:edgeguard; remove this one (shred -u '$key') or chmod 600 it"
  fi
  stage_tls_files "$ca" "$cert" "$key"
else
  note "none (--no-tls)"
fi

echo "configuration:"
note "from $template_note"
[ "$demo_config" = false ] ||
  warn "installed the release's demo pin map (--demo): its panic, fire and egress points are the demo's GPIO lines; never leave a real site on it (provision again with --config-template FILE)"
rendered="$staging/appsettings.json"
# The template with this gateway's identity, broker, TLS files and state directory filled in.
tls_flag=(--tls)
[ "$no_tls" = false ] || tls_flag=(--no-tls)
# A revocation check other than noCheck can only work when the office CA names a CRL or OCSP
# address in what it issues (deploy/office/certs.sh does not): render-config.py refuses it otherwise.
# The text is read whole before grep: piped, grep -q stopped reading at its match and a long text
# (an RSA-4096 key, many names) killed openssl with SIGPIPE, which pipefail took for "no address".
if [ "$no_tls" = false ]; then
  cert_text=$(openssl x509 -noout -text -in "$cert" 2>/dev/null) || cert_text=""
  if grep -q -e 'X509v3 CRL Distribution Points' -e 'OCSP - URI:' <<<"$cert_text"; then
    tls_flag+=(--revocation-url)
  fi
fi
python3 "$pkg/deploy/render-config.py" "$template" "$rendered" --site="$site" --gateway="$gateway" \
  --host="$broker_host" --port="$broker_port" --driver "$driver" --chip "$chip" "${tls_flag[@]}" ||
  die "cannot write the configuration from '$template'"

if [ -f "$R$config" ] && cmp -s "$rendered" "$R$config"; then
  config_state=unchanged
  candidate=$R$config
  fixed=$(fix_attrs "$R$config" 640 root edgeguard)
  [ -z "$fixed" ] || config_state="fixed ($fixed)"
elif [ "$dry_run" = true ]; then
  config_state=$([ -f "$R$config" ] && echo updated || echo installed)
  candidate=$rendered
else
  config_state=$([ -f "$R$config" ] && echo updated || echo installed)
  candidate=$R$config.new
  staged+=("$candidate")
  write_copy "$rendered" "$candidate"
  fix_attrs "$candidate" 640 root edgeguard >/dev/null
fi

# The release's own validator, in a clean environment (a technician's EdgeGuard__* variables
# must not make it pass), as the service user on a real system (it must be able to read the
# config and the key). The TLS paths point at the files it will use: staged, installed or (dry run) given.
validator=$R$app/edgeguard
[ "$dry_run" = false ] || validator=$pkg/app/edgeguard
venv=(env -i "PATH=/usr/sbin:/usr/bin:/sbin:/bin" ${DOTNET_ROOT:+"DOTNET_ROOT=$DOTNET_ROOT"})
if [ "$no_tls" = false ]; then
  venv+=("EdgeGuard__mqtt__tls__caFile=${tls_check[0]}" "EdgeGuard__mqtt__tls__certFile=${tls_check[1]}" "EdgeGuard__mqtt__tls__keyFile=${tls_check[2]}")
fi
# Under --root the operators' public key files are checked in DIR, where the gateway will read
# them, not on this machine's / (an absolute path only: a relative one is the config file's
# folder's, which is in DIR already; in a dry run, the scratch directory's).
if [ -n "$R" ]; then
  op_keys=$staging/operator-keys
  python3 "$pkg/deploy/render-config.py" --operator-keys "$rendered" >"$op_keys" ||
    die "cannot read the operators' key files from the configuration"
  while IFS=$'\t' read -r op_index op_path; do
    case "$op_path" in /*) venv+=("EdgeGuard__commands__operators__${op_index}__publicKeyFile=$R$op_path") ;; esac
  done <"$op_keys"
  # threatLevels.timeZone likewise in DIR's tz database (.NET reads TZDIR): a zone DIR lacks (Trixie
  # moved legacy names such as Asia/Calcutta to tzdata-legacy) passed here, and the gateway's `run`
  # then refused the config at every boot (exit 2, never restarted). UTC needs no database.
  venv+=("TZDIR=$R/usr/share/zoneinfo")
  zone=$(python3 "$pkg/deploy/render-config.py" --time-zone "$rendered") ||
    die "cannot read threatLevels.timeZone from the configuration"
  if [ -n "$zone" ] && [ "${zone,,}" != utc ] && [ ! -d "$R/usr/share/zoneinfo" ]; then
    die "threatLevels.timeZone '$zone' is looked up in the tree's tz database, and $R/usr/share/zoneinfo" \
      "does not exist: install tzdata into $R (every Raspberry Pi OS image has it; is --root the card's" \
      "root file system?), or provision on the gateway itself"
  fi
fi
as_user=()
[ "$mode" = system ] && [ "$dry_run" = false ] && as_user=(runuser -u edgeguard --)
# Under --root there is no such user here, but the key was given the card's edgeguard group
# (0640 root:edgeguard): validate refuses a key its group may read unless that group is the
# validator's own, so it runs in that group, as the service will on the card.
if [ "$mode" = root ] && [ "$dry_run" = false ] && [ "$can_chown" = true ]; then
  as_user=(setpriv --regid "$eg_gid" --clear-groups --)
fi
echo "  validating: edgeguard validate --config $config"
if ! output=$("${venv[@]}" "${as_user[@]}" "${runner[@]}" "$validator" validate --config "$candidate" 2>&1); then
  indent <<<"$output" >&2
  # The EXIT trap removes the staged *.new files.
  die "the configuration was refused by edgeguard validate; nothing was enabled${R:+ (under --root: files and time zones are checked in $R)}, the installed TLS files and config are unchanged"
fi
indent <<<"$output"
check_journal_schema
# Every copy that can fail (a full disk) is written before the first rename, so a run that stops
# never leaves the new config installed while `current` still names the old release (which may
# refuse it at its next start, and stay down).
# The config as validated with this release, for a rollback to it (see deploy/README.md).
install_file "$rendered" "$config.$version" 640 root edgeguard
unit=/etc/systemd/system/edgeguard.service
unit_state=$(stage_file "$pkg/deploy/edgeguard.service" "$unit" 644 root root .provision-tmp)
[ "$dry_run" = true ] || staged+=("$R$unit.provision-tmp")
# `current` too: the new link is made now (a symlink needs an inode like any file), renamed below.
current_state=$(stage_symlink /opt/edgeguard/current "$version")
[ "$dry_run" = true ] || staged+=("$R/opt/edgeguard/current.provision-tmp")
# The time server's drop-in: only its rename and timesyncd's restart come after the switch.
timesync_state=$(stage_time_sync "$time_server" "$time_origin")
[ "$dry_run" = true ] || staged+=("$R$timesync_rel.provision-tmp")
# The fallback directory's tmpfiles.d entry: made into /run/edgeguard after the unit's switch.
tmpfiles_state=$(stage_tmpfiles)
[ "$dry_run" = true ] || staged+=("$R$tmpfiles_rel.provision-tmp")
# Validated: certificates, key and config go into place together, then the release and its unit.
for i in "${!tls_rel[@]}"; do
  case "${tls_state[i]}" in installed | updated) [ "$dry_run" = true ] || move_into_place "$R${tls_rel[i]}.new" "$R${tls_rel[i]}" ;; esac
  report "${tls_state[i]}" "${tls_rel[i]}"
done
case "$config_state" in installed | updated) [ "$dry_run" = true ] || move_into_place "$candidate" "$R$config" ;; esac
report "$config_state" "$config ($(attrs 640 root edgeguard))"

echo "service:"
old_current=$(readlink "$R/opt/edgeguard/current" 2>/dev/null || true)
# A link set by hand may be absolute (/opt/edgeguard/1.0.0) or name no release at all: only the
# name of a release directory is a rollback target (the cleanup below compares names).
old_current=${old_current%/}
old_current=${old_current##*/}
[ -z "$old_current" ] || [ -f "$R/opt/edgeguard/$old_current/MANIFEST" ] || old_current=""
case "$current_state" in created | updated) [ "$dry_run" = true ] || move_symlink_into_place /opt/edgeguard/current ;; esac
report "$current_state" "/opt/edgeguard/current -> $version"
case "$unit_state" in installed | updated) [ "$dry_run" = true ] || move_into_place "$R$unit.provision-tmp" "$R$unit" ;; esac
report "$unit_state" "$unit"
record_previous "$old_current"
apply_tmpfiles "$tmpfiles_state"

not_enabled=""
enable_service "$unit_state"

# Last: the gateway runs without NTP, so nothing here may stop the run after the switch above.
apply_time_sync "$timesync_state" "$time_server"

if [ "$dry_run" = true ]; then
  echo "provision-gateway: dry run: $changes change(s) would be made; nothing was changed"
elif [ "$changes" -eq 0 ]; then
  echo "provision-gateway: nothing changed (everything unchanged)"
else
  echo "provision-gateway: done, $changes change(s)"
fi
if [ -n "$not_enabled" ]; then
  # Exit 0: everything installed is correct; the unit is switched on by a run on the gateway itself
  # (which creates the accounts) or by `systemctl enable edgeguard` once the accounts exist.
  echo "provision-gateway: edgeguard.service NOT enabled: $not_enabled; run provision-gateway.sh on the gateway itself (it creates them), or create them and run again" >&2
fi
for w in "${warnings[@]}"; do echo "provision-gateway: warning: $w" >&2; done
