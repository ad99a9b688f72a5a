# shellcheck shell=bash
# Renewal and revocation of deploy/office/certs.sh, sourced by it (never run alone; kept beside
# it): renew, revoke-superseded, revoke and crl. They use certs.sh's $dir and its helpers (die,
# note, need_ca, run_ca, serial_of, revoke_cert, registered, issue, parse_days) and set
# revoked_count for their callers.
# shellcheck disable=SC2154 # certs.sh's $dir, set before any command runs
# shellcheck disable=SC2119,SC2120 # crl takes --days from certs.sh's dispatcher; revoke calls it bare

# renew NAME [--days N]: a new certificate for a registered gateway or office client, same name
# and same key, into its folder; the old certificate is copied to superseded/NAME-SERIAL/ and NOT
# revoked: revoked now, it would cut the running gateway off at the broker's next CRL reload,
# before anyone has installed the new one. revoke-superseded NAME does that afterwards.
cmd_renew() {
  local name="${1:-}" record folder days crt serial old_pem
  [ -n "$name" ] || die "renew: usage: renew NAME [--days N]"
  shift
  need_ca
  if [ "$name" = "broker" ]; then
    die "renew: the broker's certificate is replaced with: certs.sh revoke broker --reason superseded, then certs.sh broker ... again (no gateway checks its revocation)"
  fi
  record="$(registered "$name")"
  case "$record" in
    "gateway "*) folder="$dir/gateways/$name" days=1095 ;;
    "office "*) folder="$dir/office/$name" days=730 ;;
    *) die "renew: no valid certificate named '$name' in $dir (see: certs.sh list); a first one is issued by certs.sh gateway SITE GATEWAY or certs.sh office NAME" ;;
  esac
  parse_days renew "$@"
  crt="$folder/$name.crt"
  if [ ! -f "$crt" ] || [ ! -f "$folder/$name.key" ]; then
    die "renew: $folder lacks $name.crt or $name.key; restore them from a backup, or revoke $name and issue it again (a new key)"
  fi
  serial="$(serial_of "$crt")"
  old_pem="$(cat "$crt")"
  issue "$folder" "$name" "$(subject_of "$record")" client_cert "$days"
  # Recorded as superseded only once the new one is issued: recorded before, a failed issue
  # (a typo in --days, an interrupted run) left the only certificate the gateway holds for
  # revoke-superseded to revoke, cutting it off at the broker's next CRL reload.
  mkdir -p "$dir/superseded/$name-$serial"
  printf '%s\n' "$old_pem" > "$dir/superseded/$name-$serial/$name.crt"
  chmod 0644 "$dir/superseded/$name-$serial/$name.crt"
  note "renewed $name: $(openssl x509 -in "$crt" -noout -serial -enddate | tr '\n' ' ')(same key) in $folder"
  note "the old certificate (serial $serial) stays valid; once $name runs with the new one, revoke it: certs.sh --dir $dir revoke-superseded $name"
}

# revoke_superseded_of NAME REASON: revokes every certificate renew left in superseded/ for NAME
# and moves its files to revoked/; counts them in $revoked_count. Writes no CRL (the caller does).
revoke_superseded_of() {
  local name="$1" reason="$2" old serial current="" crt
  revoked_count=0
  for crt in "$dir/gateways/$name/$name.crt" "$dir/office/$name/$name.crt"; do
    [ -f "$crt" ] && current="$(serial_of "$crt")"
  done
  # No match (or no superseded/ at all, in a CA folder made before init-ca created it) leaves the
  # pattern itself, which the -f test skips.
  for old in "$dir/superseded/$name-"*; do
    [ -f "$old/$name.crt" ] || continue
    serial="${old##*/"$name"-}"
    # Never the certificate in use: a superseded record of it (left by a renew of an older
    # version of this script that failed) would cut the running gateway off.
    if [ "$serial" = "$current" ] && [ "$reason" = "superseded" ]; then
      echo "certs.sh: warning: superseded/$name-$serial is $name's current certificate (a renew that failed?): not revoked; remove that folder" >&2
      continue
    fi
    # Already revoked when the name's own revoke just did it (the record of its current one).
    revoke_cert "$old/$name.crt" "$serial" "$reason"
    mkdir -p "$dir/revoked"
    if [ -e "$dir/revoked/$name-$serial" ]; then
      # That revoke filed the whole folder there (key, ca.crt): merged, never replaced. Before,
      # it was deleted for this copy of the certificate alone, and the revoked key with it.
      cp -an -- "$old/." "$dir/revoked/$name-$serial/"
      rm -rf -- "$old"
      note "superseded/$name-$serial was a record of the certificate just revoked: filed with it in revoked/$name-$serial"
      continue
    fi
    mv "$old" "$dir/revoked/$name-$serial"
    note "revoked the superseded certificate of $name (serial $serial, $reason)"
    revoked_count=$((revoked_count + 1))
  done
}

cmd_revoke_superseded() {
  local name="${1:-}"
  [ -n "$name" ] || die "revoke-superseded: usage: revoke-superseded NAME"
  [ $# -eq 1 ] || die "revoke-superseded: unknown argument '$2'"
  need_ca
  revoke_superseded_of "$name" superseded
  if [ "$revoked_count" -eq 0 ]; then
    note "$name has no superseded certificate (nothing revoked)"
    return 0
  fi
  cmd_crl
  note "copy $dir/broker/crl.pem to the broker and reload it (systemctl reload mosquitto)"
}

cmd_revoke() {
  local name="${1:-}" reason="keyCompromise" folder
  [ -n "$name" ] || die "revoke: usage: revoke NAME [--reason REASON]"
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --reason) reason="${2:?--reason needs a value}"; shift 2 ;;
      *) die "revoke: unknown argument '$1'" ;;
    esac
  done
  need_ca
  if [ "$name" = "broker" ]; then
    folder="$dir/broker"
  elif [ -f "$dir/gateways/$name/$name.crt" ]; then
    folder="$dir/gateways/$name"
  elif [ -f "$dir/office/$name/$name.crt" ]; then
    folder="$dir/office/$name"
  else
    die "revoke: no certificate named '$name' in $dir (see: certs.sh list)"
  fi
  local crt="$folder/$name.crt" serial
  serial="$(serial_of "$crt")"
  revoke_cert "$crt" "$serial" "$reason"
  # Keep the revoked files for the record, out of the way of a re-issue under the same name.
  mkdir -p "$dir/revoked"
  if [ "$name" = "broker" ]; then
    mkdir -p "$dir/revoked/broker-$serial"
    mv "$dir/broker/broker.crt" "$dir/broker/broker.key" "$dir/revoked/broker-$serial/"
  else
    mv "$folder" "$dir/revoked/$name-$serial"
    # Renewed certificates left valid hold the same key: they go with it (a lost key, a device
    # taken out of service).
    revoke_superseded_of "$name" "$reason"
    if [ -f "$dir/clients" ]; then
      awk -v n="$name" '!(($1 == "gateway" && $3 == n) || ($1 == "office" && $2 == n))' "$dir/clients" > "$dir/clients.new"
      chmod 0644 "$dir/clients.new"
      mv "$dir/clients.new" "$dir/clients"
    fi
  fi
  note "revoked $name (serial $serial, $reason)"
  if [ "$name" = "broker" ]; then
    # The broker checks the CRL for its clients; no gateway checks it for the broker (noCheck).
    note "gateways cannot check revocation: they still trust the revoked broker certificate; if its key may be compromised, re-key the CA (new CA, new certificates on every gateway: deploy/office/README.md)"
  fi
  cmd_crl
  cmd_acl
}

cmd_crl() {
  local days=365
  while [ $# -gt 0 ]; do
    case "$1" in
      --days) days="${2:?--days needs a value}"; shift 2 ;;
      *) die "crl: unknown argument '$1'" ;;
    esac
  done
  need_ca
  # Mosquitto refuses EVERY client once the CRL's nextUpdate has passed (OpenSSL: "CRL has
  # expired"), so the CRL outlives the time between two runs of this command by far; the broker
  # gets a new one whenever something is revoked anyway. Renew it well before it expires.
  run_ca -gencrl -crldays "$days" -out "$dir/broker/crl.pem.new"
  chmod 0644 "$dir/broker/crl.pem.new"
  mv "$dir/broker/crl.pem.new" "$dir/broker/crl.pem"
  note "wrote $dir/broker/crl.pem ($(openssl crl -in "$dir/broker/crl.pem" -noout -nextupdate))"
}
