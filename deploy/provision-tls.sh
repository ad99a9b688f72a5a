# shellcheck shell=bash
# Helpers of provision-gateway.sh for the gateway's TLS files, sourced by it after provision-lib.sh
# (shipped beside it in the release's deploy/): the key, certificate and CA checked against each
# other and against the installed certificate, then staged beside the installed files. They read
# the caller's variables as provision-lib.sh's do.
# shellcheck disable=SC2154 # the caller's variables, set by provision-gateway.sh

# check_key_and_certificate CA CERT KEY SITE GATEWAY FORCE (needs openssl): stops unless KEY is
# unencrypted and belongs to CERT, and CERT is GATEWAY's, issued by CA (check_certificate_files).
# A key that does not belong to the certificate would only show as a failed TLS handshake later.
# Each side must be read: two failures (files swapped, not PEM) give two empty, equal strings.
check_key_and_certificate() {
  local ca=$1 cert=$2 key=$3 site=$4 gateway=$5 force=$6 cert_pub key_pub cert_cn cert_ou
  # The gateway loads its key unattended (no passphrase prompt at boot): an encrypted one is not
  # a format problem, and the validator would refuse it only as "do not load as a pair".
  if grep -q -e '^-----BEGIN ENCRYPTED PRIVATE KEY-----' -e '^Proc-Type: 4,ENCRYPTED' -- "$key"; then
    die "--key '$key' is encrypted (passphrase-protected): the gateway needs an unencrypted key," \
      "as deploy/office/certs.sh writes it. Decrypt a copy (openssl pkey -in '$key' -out GATEWAY.key," \
      "it asks for the passphrase; keep it 0600) and give that"
  fi
  cert_pub=$(openssl x509 -noout -pubkey -in "$cert" 2>/dev/null) || cert_pub=""
  # -passin: never a prompt, whatever the file holds.
  key_pub=$(openssl pkey -pubout -passin pass: -in "$key" 2>/dev/null </dev/null) || key_pub=""
  [ -n "$cert_pub" ] || die "--cert '$cert' is not a PEM certificate (openssl x509 cannot read it)"
  [ -n "$key_pub" ] || die "--key '$key' is not a PEM private key (openssl pkey cannot read it)"
  [ "$cert_pub" = "$key_pub" ] || die "--key does not belong to --cert (their public keys differ)"
  # The broker takes the certificate's CN as the user name and its ACL grants that name only its
  # own gateway's topics (deploy/office/certs.sh, make-acl.sh): another gateway's certificate
  # would connect and be refused every publish, or publish as that other gateway.
  cert_cn=$(openssl x509 -noout -subject -nameopt multiline -in "$cert" 2>/dev/null |
    sed -n 's/^ *commonName *= //p') || cert_cn=""
  [ "$cert_cn" = "$gateway" ] ||
    die "--cert is issued to CN '$cert_cn', not to gateway '$gateway' (the broker's user name): use the certificate of deploy/office/certs.sh gateway $site $gateway"
  # certs.sh names the gateway's site as the OU; the ACL grants it only edgeguard/v1/SITE/GATEWAY/#,
  # so a --site typo otherwise showed only as every publish refused. Certificates issued before
  # certs.sh wrote the OU name none: noted, not refused.
  cert_ou=$(openssl x509 -noout -subject -nameopt multiline -in "$cert" 2>/dev/null |
    sed -n 's/^ *organizationalUnitName *= //p') || cert_ou=""
  if [ -z "$cert_ou" ]; then
    note "--cert names no site (issued before certs.sh wrote one): --site '$site' is checked only by the broker's ACL"
  elif [ "$cert_ou" != "$site" ]; then
    die "--cert is issued for site '$cert_ou', not '$site' (--site): the broker's ACL grants $gateway only edgeguard/v1/$cert_ou/$gateway/#, so every publish would be refused; give --site $cert_ou, or the certificate of deploy/office/certs.sh gateway $site $gateway"
  fi
  check_certificate_files "$ca" "$cert" "$force"
}

# stage_tls_files CA CERT KEY: each file staged as *.new (not under --dry-run) for the validator;
# appends to the caller's tls_rel, tls_state and tls_check (the path the validator reads) and
# staged.
stage_tls_files() {
  local ca=$1 cert=$2 key=$3 spec name perm src rel state check
  # The service may read its key, not change or replace it: root owns it, group edgeguard reads.
  for spec in "ca.pem 644 $ca" "gateway.crt 644 $cert" "gateway.key 640 $key"; do
    name=${spec%% *} perm=${spec#* } perm=${perm%% *}
    src=${spec#"$name $perm "}
    rel=/etc/edgeguard/tls/$name
    state=$(stage_file "$src" "$rel" "$perm" root edgeguard .new)
    check=$R$rel
    case "$state" in
      installed | updated)
        check=$src
        [ "$dry_run" = true ] || { check=$R$rel.new; staged+=("$check"); }
        [ "$dry_run" = true ] || note "staged     $rel.new (moved into place after validation)"
        ;;
    esac
    tls_rel+=("$rel") tls_state+=("$state") tls_check+=("$check")
  done
}

# check_certificate_files CA CERT FORCE: the office CA must have issued the certificate (every
# EdgeGuard certificate comes from the one office CA, deploy/office/certs.sh): the old PKI folder's
# ca.crt after a CA re-key would otherwise replace a working ca.pem and the gateway refuse the
# broker at every connect. Times are left to the validator (-no_check_time), which names this
# machine's clock and says how to renew. Unless FORCE is true, a certificate older than the
# installed gateway.crt is refused: the technician's copy from the first install, given again on
# an upgrade, would replace the renewed certificate with one the office may have revoked. Older:
# an earlier notBefore, or the same (issued in the same second) and an earlier notAfter.
# -no-CApath -no-CAstore: --ca alone is trusted. Without them openssl verify -CAfile also trusts
# the system's CA directory and store (/etc/ssl/certs), so a certificate from any CA there passed
# as issued by --ca, and the gateway, which pins --ca alone, then refused the broker.
check_certificate_files() {
  local ca=$1 cert=$2 force=$3 why installed=$R/etc/edgeguard/tls/gateway.crt given old
  check_ca_file "$ca"
  if ! why=$(openssl verify -no_check_time -no-CApath -no-CAstore -CAfile "$ca" "$cert" 2>&1); then
    die "--ca '$ca' did not issue --cert '$cert' (openssl verify: $(tail -n 2 <<<"$why" | sed -n 1p));" \
      "give the ca.crt of the PKI folder the certificate came from (deploy/office/certs.sh puts it beside" \
      "GATEWAY.crt)"
  fi
  [ -f "$installed" ] && [ "$force" != true ] || return 0
  old=$(validity "$installed") || return 0
  given=$(validity "$cert")
  # "START END" in seconds: compared start first, then end.
  if [ "${given% *}" -lt "${old% *}" ] || { [ "${given% *}" -eq "${old% *}" ] && [ "${given#* }" -lt "${old#* }" ]; }; then
    die "--cert '$cert' is older than the installed /etc/edgeguard/tls/gateway.crt (valid" \
      "$(utc "${given% *}") to $(utc "${given#* }"), the installed one $(utc "${old% *}") to $(utc "${old#* }")):" \
      "an old copy would replace a renewed certificate, which the office may have revoked. Give the" \
      "current certificate (deploy/office/certs.sh keeps it in gateways/GATEWAY/), or pass --force to" \
      "install this one anyway"
  fi
}
# check_ca_file CA: stops unless CA holds exactly one PEM certificate and nothing else, self-signed,
# CA:TRUE. The gateway trusts every certificate in its CA file as the broker's issuer
# (mqtt.tls.caFile): a bundle passed the check above when one of its CAs issued --cert, and the
# gateway then also took a broker certificate from any other. A version 1 root (no CA:TRUE) passes
# openssl verify; an intermediate or a leaf is no root to pin. ca.pem is installed 0644: a key in it
# would be readable by every account on the gateway.
check_ca_file() {
  local ca=$1 help line certs=0 others=() subject issuer constraints what
  help=$(openssl verify -help 2>&1 || true)
  grep -q -e '-no-CAstore' <<<"$help" ||
    die "this openssl ($(openssl version 2>/dev/null || echo unknown)) cannot check --ca alone (no 'openssl verify -no-CApath -no-CAstore': OpenSSL 3.0 or later is needed); nothing was changed"
  while IFS= read -r line; do
    # A file with no PEM block at all (DER, empty) still feeds one empty line: not a key.
    [ -n "$line" ] || continue
    if [ "$line" = "-----BEGIN CERTIFICATE-----" ]; then
      certs=$((certs + 1))
    else
      line=${line#-----BEGIN } others+=("${line%-----}")
    fi
  done <<<"$(grep -o -e '-----BEGIN [^-]*-----' -- "$ca" || true)"
  if [ "${#others[@]}" -gt 0 ]; then
    what=${others[0]}
    for line in "${others[@]:1}"; do what+=", $line"; done
    die "--ca '$ca' holds a $what besides its certificate: the CA file must hold the office CA's certificate" \
      "alone (it is installed readable by every account on the gateway); give the ca.crt of the PKI folder" \
      "(deploy/office/certs.sh), never a file with a key in it"
  fi
  [ "$certs" -gt 0 ] || die "--ca '$ca' holds no PEM certificate: give the office CA's ca.crt (deploy/office/certs.sh)"
  [ "$certs" -eq 1 ] ||
    die "--ca '$ca' holds $certs certificates: the gateway trusts every certificate in its CA file" \
      "(mqtt.tls.caFile) to vouch for the broker, so it must hold the office CA's alone; give the ca.crt" \
      "of the PKI folder the certificate came from (deploy/office/certs.sh), not a bundle"
  subject=$(openssl x509 -noout -subject -nameopt RFC2253 -in "$ca" 2>/dev/null) ||
    die "--ca '$ca' is not a PEM certificate (openssl x509 cannot read it)"
  issuer=$(openssl x509 -noout -issuer -nameopt RFC2253 -in "$ca" 2>/dev/null) || issuer=""
  # Signed by its own key too (-check_ss_sig), not only named so.
  if ! openssl verify -no_check_time -no-CApath -no-CAstore -check_ss_sig -CAfile "$ca" "$ca" >/dev/null 2>&1; then
    die "--ca '$ca' is not self-signed (${subject#subject=}, issued by ${issuer#issuer=}): the gateway pins the" \
      "office's root CA; give the ca.crt of the PKI folder the certificate came from (deploy/office/certs.sh)"
  fi
  constraints=$(openssl x509 -noout -ext basicConstraints -in "$ca" 2>/dev/null) || constraints=""
  grep -q 'CA:TRUE' <<<"$constraints" ||
    die "--ca '$ca' is not a CA certificate (${subject#subject=}: its basicConstraints do not say CA:TRUE):" \
      "give the office CA's ca.crt (deploy/office/certs.sh makes it CA:TRUE)"
}
# validity CERT: "NOTBEFORE NOTAFTER" of a PEM certificate, in seconds since the epoch.
validity() {
  local dates start end
  dates=$(openssl x509 -noout -startdate -enddate -in "$1" 2>/dev/null) || return 1
  start=$(sed -n 's/^notBefore=//p' <<<"$dates") end=$(sed -n 's/^notAfter=//p' <<<"$dates")
  echo "$(date -u -d "$start" +%s) $(date -u -d "$end" +%s)"
}
utc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
