#!/usr/bin/env bash
# The security office's certificate authority for EdgeGuard: one CA per mission (EC P-256), a
# certificate for the office broker, one per gateway and one per office client, and a revocation
# list the broker checks. Run it on the machine that keeps the CA key (ideally not the broker).
#
#   certs.sh [--dir DIR] init-ca [--name "Mission X office CA"] [--days 3650]
#   certs.sh [--dir DIR] broker DNS-NAME [--ip ADDRESS]... [--dns NAME]... [--days 730]
#   certs.sh [--dir DIR] gateway SITE GATEWAY [--days 1095]
#   certs.sh [--dir DIR] office NAME [--days 730]
#   certs.sh [--dir DIR] renew NAME [--days N]
#   certs.sh [--dir DIR] revoke-superseded NAME
#   certs.sh [--dir DIR] revoke NAME [--reason keyCompromise|superseded|cessationOfOperation|...]
#   certs.sh [--dir DIR] crl [--days 365]
#   certs.sh [--dir DIR] acl
#   certs.sh [--dir DIR] list
#   certs.sh [--dir DIR] check [--within 30]
#
# DIR (default ./edgeguard-pki) holds:
#   ca/                     the CA key (0600), certificate, openssl ca's index and serial
#   broker/                 everything the office Mosquitto needs: ca.crt, broker.crt, broker.key,
#                           crl.pem and acl (copy the folder to /etc/mosquitto/edgeguard/)
#   gateways/GATEWAY/       what goes to that gateway: ca.crt, GATEWAY.crt, GATEWAY.key
#   office/NAME/            what goes to that office client: ca.crt, NAME.crt, NAME.key
#   clients                 who holds a valid certificate ("gateway SITE ID" / "office NAME");
#                           make-acl.sh renders broker/acl from it
#   superseded/NAME-SERIAL/ a renewed client's old certificate, still valid until
#                           revoke-superseded NAME (run once the new one is installed)
#   revoked/                the files of revoked certificates, kept for the record
#
# renew NAME gives a gateway or office client a new certificate for the same name and key (the
# key stays: a gateway's MQTT client ids derive from it) and leaves the old one valid, so the
# running gateway keeps its link until the new one is installed on it; then revoke-superseded
# NAME revokes the old one (reason superseded) and writes the CRL for the broker.
#
# A gateway's certificate also names its site, as the OU (checked by provisioning and validate).
# The certificate's CN is the identity Mosquitto takes as the user name
# (use_identity_as_username true), so it is the gateway id (the gateway's `gateway` setting) or the
# office client's name; the ACL grants topics to exactly that name. A name is used once, across
# gateways and office clients alike, or one could read or write as the other.
#
# Nothing is ever overwritten: an existing CA, key or valid certificate is kept and reported, so
# every subcommand can be run again safely (e.g. by configuration management). Only renew replaces
# a certificate, on purpose, and keeps the old one (superseded/) until revoke-superseded.
set -euo pipefail

# Keys are created private; certificates, the CRL and the ACL are made readable explicitly.
umask 077
# The broker certificate's subjectAltName, read by openssl.cnf; every openssl call that loads that
# file needs it defined, and only `broker` sets a real one.
export EDGEGUARD_SAN="DNS:unused.invalid"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="./edgeguard-pki"

die() { echo "certs.sh: $*" >&2; exit 1; }
note() { echo "certs.sh: $*"; }

# usage [EXIT]: the header above; --help exits 0 (to stdout), a missing subcommand 2 (to stderr).
usage() {
  local code="${1:-2}"
  if [ "$code" -eq 0 ]; then
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
  else
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  fi
  exit "$code"
}

# Ids become MQTT topic levels and ACL user names: the contract's id syntax, nothing that could
# widen a topic (+, #, /) or break an ACL line (spaces).
# "broker" names the broker's own certificate (revoke broker).
valid_id() { [[ "$1" =~ ^[a-z0-9_-]{1,64}$ ]] && [ "$1" != "broker" ]; }

need_ca() {
  if [ ! -f "$dir/ca/ca.key" ] && [ -f "$dir/ca/ca.crt" ]; then
    die "the CA key $dir/ca/ca.key is not here (moved offline?): copy it back (mode 0600) for this command, and away again after"
  fi
  if [ ! -f "$dir/ca/ca.key" ] || [ ! -f "$dir/ca/ca.crt" ]; then
    die "no CA in $dir/ca; run: certs.sh --dir $dir init-ca"
  fi
}

# need_ca_cert: the CA's certificate and index, for the commands that read them and sign nothing
# (check, list, acl): they must run while the CA key is kept offline, as deploy/office/README.md
# advises, or the daily `certs.sh check` of the CRL's nextUpdate never ran.
need_ca_cert() {
  if [ ! -f "$dir/ca/ca.crt" ] || [ ! -f "$dir/ca/index.txt" ]; then
    die "no CA in $dir/ca; run: certs.sh --dir $dir init-ca"
  fi
}

# run_ca ARGS...: openssl ca in the CA directory (its config uses relative paths); its chatter is
# shown only when it fails.
run_ca() {
  local log; log="$(mktemp)"
  if ! (cd "$dir/ca" && openssl ca -config openssl.cnf "$@") > "$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "openssl ca $1 failed"
  fi
  rm -f "$log"
}

# serial_of CRT: the certificate's serial, as openssl ca's index.txt writes it.
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

# is_revoked SERIAL: whether the CA's index records SERIAL as revoked.
is_revoked() { grep -q "^R.*	$1	" "$dir/ca/index.txt"; }

# revoke_cert CRT SERIAL REASON: revokes CRT unless the index already has it revoked (openssl ca
# would refuse it again and set -e end the caller before its CRL), then checks that it does.
revoke_cert() {
  is_revoked "$2" || run_ca -revoke "$1" -crl_reason "$3"
  is_revoked "$2" || die "openssl ca did not record serial $2 as revoked"
}

# The registry line of NAME, if any ("gateway SITE NAME" or "office NAME").
registered() {
  [ -f "$dir/clients" ] || return 0
  awk -v n="$1" '($1 == "gateway" && $3 == n) || ($1 == "office" && $2 == n)' "$dir/clients"
}

# issue OUT_DIR FILE SUBJECT EXTENSIONS DAYS: key (kept if present) + CSR for SUBJECT (e.g.
# /OU=SITE/CN=GATEWAY) + openssl ca, into
# OUT_DIR/FILE.key and OUT_DIR/FILE.crt, with the CA certificate beside them as ca.crt.
issue() {
  local out="$1" file="$2" subject="$3" extensions="$4" days="$5" ca_end ca_end_text now validity
  [[ "$days" =~ ^[1-9][0-9]{0,5}$ ]] || die "--days must be a whole number of days from 1, got '$days'"
  # Never past the CA's own end: the chain fails then whatever the certificate says, and the
  # gateway's warning of its certificate's end (fault.certificate) would give a date that never
  # comes. So it ends with the CA, and says so.
  ca_end="$(cert_end "$dir/ca/ca.crt")"
  ca_end_text="$(date -u -d "@$ca_end" '+%F %T UTC')"
  now="$(date -u +%s)"
  # A CA that has ended, or ends within a day, would give a certificate that is already dead or
  # dies tomorrow (and renew would put it over the working one): refused.
  [ "$ca_end" -gt $(( now + 86400 )) ] \
    || die "the CA ends on $ca_end_text: a certificate it issues now would end with it; issue a new CA and its certificates"
  validity=(-days "$days")
  if [ $(( now + days * 86400 )) -gt "$ca_end" ]; then
    validity=(-enddate "$(date -u -d "@$ca_end" +%Y%m%d%H%M%SZ)")
    note "the CA ends on $ca_end_text, before $days days from now: $file's certificate ends with it; issue a new CA and its certificates before then"
  fi
  mkdir -p "$out"
  if [ ! -f "$out/$file.key" ]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/$file.key"
  fi
  chmod 0600 "$out/$file.key"
  openssl req -new -config "$dir/ca/openssl.cnf" -key "$out/$file.key" -subj "$subject" -out "$out/$file.csr"
  # Written beside it, then renamed: a failed openssl ca leaves a renewed certificate in place.
  # -preserveDN: the CA's policy names only the CN, and openssl ca drops every other field of the
  # request, a gateway's OU (its site) too, in CA folders made before it was written.
  run_ca -batch -notext -preserveDN -extensions "$extensions" "${validity[@]}" -in "$out/$file.csr" -out "$out/$file.crt.new"
  rm -f "$out/$file.csr"
  chmod 0644 "$out/$file.crt.new"
  mv "$out/$file.crt.new" "$out/$file.crt"
  cp "$dir/ca/ca.crt" "$out/ca.crt"
  chmod 0644 "$out/ca.crt"
}

cmd_broker() {
  local host="${1:-}" days=730 san
  [ -n "$host" ] || die "broker: usage: broker DNS-NAME [--ip ADDRESS]... [--dns NAME]... [--days N]"
  shift
  [[ "$host" =~ ^[A-Za-z0-9.-]{1,253}$ ]] || die "broker: '$host' is not a DNS name"
  san="DNS:$host"
  while [ $# -gt 0 ]; do
    case "$1" in
      # Checked like the host: the values go into the subjectAltName list as they are, so a typo
      # such as "x,DNS:*" would add a wildcard name to the broker's certificate.
      --ip)
        [[ "${2:?--ip needs an address}" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$ ]] || die "broker: --ip '$2' is not an IPv4 or IPv6 address"
        san="$san,IP:$2"; shift 2 ;;
      --dns)
        [[ "${2:?--dns needs a name}" =~ ^[A-Za-z0-9.-]{1,253}$ ]] || die "broker: --dns '$2' is not a DNS name"
        san="$san,DNS:$2"; shift 2 ;;
      --days) days="${2:?--days needs a value}"; shift 2 ;;
      *) die "broker: unknown argument '$1'" ;;
    esac
  done
  need_ca
  if [ -f "$dir/broker/broker.crt" ]; then
    note "broker certificate exists (kept): $(openssl x509 -in "$dir/broker/broker.crt" -noout -ext subjectAltName | tail -n 1 | sed 's/^ *//')"
    note "to replace it: certs.sh revoke broker --reason superseded, then run this again"
    note "gateways cannot check revocation: if the broker key may be compromised, revoking it protects no gateway; re-key the CA instead (new CA, new certificates on every gateway: deploy/office/README.md)"
    return 0
  fi
  # The gateway checks that the broker's certificate names the host it dialled (mqtt.tls.serverName
  # or mqtt.host): list every name and address gateways use.
  EDGEGUARD_SAN="$san" issue "$dir/broker" broker "/CN=$host" server_cert "$days"
  note "issued broker certificate for $san into $dir/broker"
  note "chown the copied broker.key to the mosquitto user (Mosquitto 2 reads it after dropping root)"
}

# Parses the client commands' only option, --days N, into $days (the caller sets its default).
parse_days() {
  local command="$1"
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --days) days="${2:?--days needs a value}"; shift 2 ;;
      *) die "$command: unknown argument '$1'" ;;
    esac
  done
}

# subject_of RECORD: the certificate subject of a registry line. A gateway's OU is its site, so
# provisioning and the gateway's validate can refuse a config whose site is not the certificate's
# (a typo in --site): the broker's ACL grants the gateway only edgeguard/v1/SITE/GATEWAY/#, and a
# wrong site otherwise showed only as every publish refused, after the technician had left.
subject_of() {
  local kind first second
  read -r kind first second <<<"$1"
  case "$kind" in
    gateway) echo "/OU=$first/CN=$second" ;;
    *) echo "/CN=$first" ;;
  esac
}

# Issues a client certificate once: CN = NAME (the broker user name the ACL is written for), and
# a gateway's site as the OU (subject_of), into FOLDER, registered as RECORD in the clients list.
# A second run keeps the existing certificate.
issue_client() {
  local command="$1" folder="$2" name="$3" record="$4" days="$5" what="$6"
  need_ca
  local existing; existing="$(registered "$name")"
  if [ -n "$existing" ]; then
    [ "$existing" = "$record" ] || die "$command: the name '$name' is already taken ($existing); certificate names are broker user names and must be unique"
    note "$what already has a certificate (kept): $folder ($(openssl x509 -in "$folder/$name.crt" -noout -enddate))"
    note "to renew it (a new certificate for the same name and key; the old one stays valid until the new one is installed): certs.sh --dir $dir renew $name"
    cmd_acl
    return 0
  fi
  issue "$folder" "$name" "$(subject_of "$record")" client_cert "$days"
  echo "$record" >> "$dir/clients"
  note "issued the certificate of $what ($(subject_of "$record")) into $folder"
  cmd_acl
}

cmd_gateway() {
  local site="${1:-}" gateway="${2:-}" days=1095
  if [ -z "$site" ] || [ -z "$gateway" ]; then
    die "gateway: usage: gateway SITE GATEWAY [--days N]"
  fi
  shift 2
  parse_days gateway "$@"
  valid_id "$site" || die "gateway: site '$site' must be 1-64 of a-z 0-9 - _ (it is an MQTT topic level), not 'broker'"
  valid_id "$gateway" || die "gateway: gateway '$gateway' must be 1-64 of a-z 0-9 - _ (it is an MQTT topic level), not 'broker'"
  issue_client gateway "$dir/gateways/$gateway" "$gateway" "gateway $site $gateway" "$days" "gateway $gateway of site $site"
}

cmd_office() {
  local name="${1:-}" days=730
  [ -n "$name" ] || die "office: usage: office NAME [--days N]"
  shift
  parse_days office "$@"
  valid_id "$name" || die "office: name '$name' must be 1-64 of a-z 0-9 - _ (it is a broker user name), not 'broker'"
  issue_client office "$dir/office/$name" "$name" "office $name" "$days" "office client $name"
}

# init-ca, renewal and revocation: their own files, to keep each under 400 lines.
# shellcheck source=deploy/office/certs-init.sh
. "$(dirname "${BASH_SOURCE[0]}")/certs-init.sh"
# shellcheck source=deploy/office/certs-revoke.sh
. "$(dirname "${BASH_SOURCE[0]}")/certs-revoke.sh"
# shellcheck source=deploy/office/certs-check.sh
. "$(dirname "${BASH_SOURCE[0]}")/certs-check.sh"

cmd_acl() {
  need_ca_cert
  "$here/make-acl.sh" --clients "$dir/clients" --out "$dir/broker/acl"
}

# superseded_serials: the serials renew left in superseded/ (still valid until
# revoke-superseded), space separated. A CA folder made before init-ca created superseded/ has
# none until its first renew: find would fail there and, under pipefail, end the caller.
superseded_serials() {
  if [ -d "$dir/superseded" ]; then
    find "$dir/superseded" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sed 's/.*-//' | tr '\n' ' '
  fi
}

cmd_list() {
  need_ca_cert
  # index.txt: status, expiry, revocation, serial, file, subject (tab separated). A valid
  # certificate renew replaced is listed as such, until revoke-superseded.
  local superseded
  superseded="$(superseded_serials)"
  awk -F'\t' -v old=" $superseded" '{ s = ($1 == "V") ? "valid" : ($1 == "R") ? "revoked" : "expired";
                if (s == "valid" && index(old, " " $4 " ")) s = "superseded (still valid)";
                printf "%-8s %s serial %s expires %s\n", s, $6, $4, $2 }' "$dir/ca/index.txt"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="${2:?--dir needs a directory}"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || usage
# Absolute, so that openssl ca (run inside the CA directory) finds every file.
dir="$(realpath -m -- "$dir")"
command="$1"
shift
case "$command" in
  init-ca) cmd_init_ca "$@" ;;
  broker) cmd_broker "$@" ;;
  gateway) cmd_gateway "$@" ;;
  office) cmd_office "$@" ;;
  renew) cmd_renew "$@" ;;
  revoke-superseded) cmd_revoke_superseded "$@" ;;
  revoke) cmd_revoke "$@" ;;
  crl) cmd_crl "$@" ;;
  acl) cmd_acl "$@" ;;
  list) cmd_list "$@" ;;
  check) cmd_check "$@" ;;
  *) die "unknown subcommand '$command' (init-ca, broker, gateway, office, renew, revoke-superseded, revoke, crl, acl, list, check)" ;;
esac
