# shellcheck shell=bash
# init-ca of deploy/office/certs.sh, sourced by it (never run alone; kept beside it): the CA key,
# certificate, openssl ca's files and the empty PKI folders. Uses certs.sh's $dir and its helpers
# (die, note, cmd_crl, cmd_acl).
# shellcheck disable=SC2154 # certs.sh's $dir, set before any command runs

# What a running init-ca has made, for init_ca_undo.
init_tmp="" init_made=()

# write_openssl_config CA_DIR
write_openssl_config() {
  cat > "$1/openssl.cnf" <<'EOF'
# Written by deploy/office/certs.sh init-ca. Paths are relative to the CA directory, which
# certs.sh makes the working directory for every openssl ca call.
[ ca ]
default_ca = edgeguard_ca

[ edgeguard_ca ]
dir              = .
database         = ./index.txt
new_certs_dir    = ./newcerts
certificate      = ./ca.crt
private_key      = ./ca.key
serial           = ./serial
crlnumber        = ./crlnumber
default_md       = sha256
default_crl_days = 365
policy           = policy_cn_only
# The CN is chosen by certs.sh; the request carries nothing else worth copying.
copy_extensions  = none
unique_subject   = no
# Ubuntu/Debian openssl ca prints the whole certificate otherwise.
name_opt         = ca_default
cert_opt         = ca_default

[ policy_cn_only ]
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt             = no

[ req_dn ]
CN = unused

[ v3_ca ]
basicConstraints       = critical, CA:true, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ client_cert ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ server_cert ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = $ENV::EDGEGUARD_SAN
EOF
}

# ca_parts: what of a CA is in $dir besides ca/ca.key (files, or folders holding any), space
# separated; empty folders are no CA.
ca_parts() {
  local part found=""
  for part in ca/ca.crt ca/index.txt ca/serial ca/crlnumber ca/openssl.cnf clients broker/ca.crt \
    broker/crl.pem broker/acl broker/broker.crt broker/broker.key; do
    if [ -e "$dir/$part" ] || [ -L "$dir/$part" ]; then found="$found $part"; fi
  done
  for part in ca broker gateways office revoked superseded; do
    if [ -d "$dir/$part" ] && [ -n "$(find "$dir/$part" -mindepth 1 ! -type d -print -quit)" ]; then
      case " $found " in *" $part/"*) ;; *) found="$found $part/" ;; esac
    fi
  done
  echo "${found# }"
}

# init_ca_undo: an init-ca that failed takes back what it made (the EXIT trap while it runs), so
# that a corrected run starts clean: before, an openssl refusal (--days abc, --name "A/B") left
# ca.key without ca.crt, and every later init-ca refused to guess. It only ever made new files.
init_ca_undo() {
  local i
  echo "certs.sh: init-ca failed: what it made is removed; run it again once the cause is fixed" >&2
  [ -z "$init_tmp" ] || rm -rf -- "$init_tmp"
  for ((i = ${#init_made[@]} - 1; i >= 0; i--)); do
    rm -rf -- "${init_made[i]}"
  done
}

cmd_init_ca() {
  local name="EdgeGuard office CA" days=3650 parts made
  while [ $# -gt 0 ]; do
    case "$1" in
      --name) name="${2:?--name needs a value}"; shift 2 ;;
      --days) days="${2:?--days needs a value}"; shift 2 ;;
      *) die "init-ca: unknown argument '$1'" ;;
    esac
  done
  # Checked before anything is made. The name goes into openssl's -subj "/CN=NAME", where / + =
  # and \ have meanings (openssl refused "Ops/Comms CA"; a \ vanished); a CN is at most 64
  # characters, and other bytes than these openssl does not write as given.
  [[ "$days" =~ ^[1-9][0-9]{0,5}$ ]] || die "init-ca: --days '$days' is not a number of days (a whole number, 1-999999); nothing was made"
  local LC_ALL=C
  [[ "$name" =~ ^[A-Za-z0-9\ ._,:\(\)\'\&-]{1,64}$ ]] ||
    die "init-ca: --name '$name' must be 1-64 of the letters A-Z a-z, digits, spaces and . , _ - ( ) ' & : (it becomes the CA certificate's CN, in openssl's -subj /CN=NAME, where / + = \\ have meanings); nothing was made"
  if [ -f "$dir/ca/ca.key" ]; then
    if [ ! -f "$dir/ca/ca.crt" ] && [ ! -s "$dir/ca/index.txt" ] && [ ! -s "$dir/clients" ]; then
      die "$dir/ca/ca.key exists without ca.crt, and this CA issued nothing (an init-ca of an earlier certs.sh that failed?): remove $dir/ca and run init-ca again"
    fi
    [ -f "$dir/ca/ca.crt" ] || die "$dir/ca/ca.key exists without ca.crt; refusing to guess (restore ca.crt from a backup)"
    note "CA already exists in $dir/ca (kept): $(openssl x509 -in "$dir/ca/ca.crt" -noout -subject)"
    return 0
  fi
  # A CA whose key is elsewhere (moved offline, as the README advises) is still a CA: a new one
  # over it emptied index.txt (the revocation history), replaced ca.crt and broker/ca.crt and
  # emptied clients (an ACL of no one).
  parts="$(ca_parts)"
  [ -z "$parts" ] ||
    die "init-ca: $dir holds a CA without its key ca/ca.key (found: $parts); nothing was changed. If the key was moved offline, copy it back to $dir/ca/ca.key (mode 0600) and run what you need; for a new CA, use a new --dir (deploy/office/README.md)"
  # Made in a scratch folder, moved into place once the CA certificate is written; what is made
  # after that is taken back if a later step fails (init_ca_undo).
  [ -d "$dir" ] || { mkdir -p "$dir"; init_made=("$dir"); }
  trap init_ca_undo EXIT
  init_tmp="$(mktemp -d "$dir/.init-ca.XXXXXX")"
  mkdir "$init_tmp/newcerts"
  write_openssl_config "$init_tmp"
  : > "$init_tmp/index.txt"
  echo "unique_subject = no" > "$init_tmp/index.txt.attr"
  # Random, positive serials: a guessable sequence is no help to anyone, a collision after a CA
  # restore from an old backup would be.
  echo "01$(openssl rand -hex 15)" > "$init_tmp/serial"
  echo "1000" > "$init_tmp/crlnumber"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$init_tmp/ca.key"
  chmod 0600 "$init_tmp/ca.key"
  (cd "$init_tmp" && openssl req -new -x509 -config openssl.cnf -extensions v3_ca -key ca.key \
    -subj "/CN=$name" -days "$days" -sha256 -out ca.crt)
  chmod 0644 "$init_tmp/ca.crt"
  chmod 0700 "$init_tmp"
  # An empty ca/ (made by hand) is replaced: a rename takes the place of an empty directory.
  mv -T "$init_tmp" "$dir/ca"
  init_tmp="" init_made+=("$dir/ca")
  for made in broker gateways office revoked superseded; do
    [ -d "$dir/$made" ] || { mkdir "$dir/$made"; init_made+=("$dir/$made"); }
  done
  init_made+=("$dir/broker/ca.crt" "$dir/clients" "$dir/broker/crl.pem" "$dir/broker/acl")
  cp "$dir/ca/ca.crt" "$dir/broker/ca.crt"
  chmod 0644 "$dir/broker/ca.crt"
  : > "$dir/clients"
  chmod 0644 "$dir/clients"
  note "created CA '$name' in $dir/ca (key mode 0600: back it up offline)"
  cmd_crl
  cmd_acl
  trap - EXIT
  init_made=()
}
