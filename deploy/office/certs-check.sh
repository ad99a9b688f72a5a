# shellcheck shell=bash
# check of deploy/office/certs.sh, sourced by it (never run alone; kept beside it): what ends soon.
# Everything here stops the office hearing from gateways when it ends, with no warning from the
# broker: past the CRL's next update Mosquitto refuses EVERY client ("CRL has expired"), past the
# broker's or the CA's end every gateway refuses the broker, and past a gateway's end the broker
# refuses that gateway. The gateway warns of its own certificate (fault.certificate); nothing else
# does, so run this from cron on the CA machine, e.g. daily: certs.sh --dir DIR check || mail ...
# Uses certs.sh's $dir and its helpers (die, note, need_ca_cert, serial_of, superseded_serials).
# shellcheck disable=SC2154 # certs.sh's $dir, set before any command runs

# Set by cmd_check for judge.
check_now=0
check_horizon=0
check_due=0

# judge WHAT END-EPOCH ADVICE: one line, "ok", "DUE" (ends within the window) or "ENDED"; counts
# the last two in check_due.
judge() {
  local what="$1" end="$2" advice="$3" day days
  day="$(date -u -d "@$end" +%F)"
  days=$(( (end - check_now) / 86400 ))
  if [ "$end" -le "$check_now" ]; then
    printf 'ENDED   %s: ended %s; %s\n' "$what" "$day" "$advice"
    check_due=$((check_due + 1))
  elif [ "$end" -le "$check_horizon" ]; then
    printf 'DUE     %s: ends %s, in %d day(s); %s\n' "$what" "$day" "$days" "$advice"
    check_due=$((check_due + 1))
  else
    printf 'ok      %s: ends %s, in %d days\n' "$what" "$day" "$days"
  fi
}

# epoch_of DATE: openssl's "Dec  6 16:30:00 2027 GMT" as seconds since the epoch.
epoch_of() { date -u -d "$1" +%s; }

cert_end() { epoch_of "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)"; }

cmd_check() {
  local within=30 crl="$dir/broker/crl.pem" broker_serial="" superseded="" serial subject name next
  while [ $# -gt 0 ]; do
    case "$1" in
      --within) within="${2:?--within needs a number of days}"; shift 2 ;;
      *) die "check: unknown argument '$1'" ;;
    esac
  done
  # No leading zero: the shell's arithmetic reads 010 as octal, and 08 not at all.
  [[ "$within" =~ ^(0|[1-9][0-9]{0,4})$ ]] || die "check: --within must be a whole number of days (0-99999), not '$within'"
  need_ca_cert # the CA key may be offline: check signs nothing
  check_now="$(date -u +%s)"
  check_horizon=$((check_now + within * 86400))
  check_due=0

  judge "CA certificate" "$(cert_end "$dir/ca/ca.crt")" \
    "make a new CA before then and issue every broker, gateway and office certificate from it (deploy/office/README.md)"
  if [ -f "$dir/broker/broker.crt" ]; then
    broker_serial="$(serial_of "$dir/broker/broker.crt")"
    judge "broker certificate" "$(cert_end "$dir/broker/broker.crt")" \
      "every gateway refuses the broker after it: certs.sh revoke broker --reason superseded, then certs.sh broker again, and install it on the broker"
  fi
  if [ -f "$crl" ]; then
    next="$(openssl crl -in "$crl" -noout -nextupdate | cut -d= -f2)"
    judge "CRL broker/crl.pem (next update)" "$(epoch_of "$next")" \
      "the broker refuses EVERY client after it: certs.sh crl, then copy broker/crl.pem to the broker and reload it (systemctl reload mosquitto)"
  else
    printf 'DUE     CRL broker/crl.pem: missing; certs.sh crl writes it (the broker needs it)\n'
    check_due=$((check_due + 1))
  fi

  # Every valid gateway and office certificate, from openssl ca's index (tab separated: status,
  # expiry, revocation, serial, file, subject) and its copy in newcerts/. A renewed one's old
  # certificate is left out: revoke-superseded ends it anyway.
  superseded=" $(superseded_serials)"
  while IFS=$'\t' read -r serial subject; do
    [ "$serial" = "$broker_serial" ] && continue
    case "$superseded " in *" $serial "*) continue ;; esac
    name="${subject##*CN=}"
    judge "certificate $name (serial $serial)" "$(cert_end "$dir/ca/newcerts/$serial.pem")" \
      "the broker refuses it after then: certs.sh renew $name, install it, then certs.sh revoke-superseded $name"
  done < <(awk -F'\t' '$1 == "V" { print $4 "\t" $6 }' "$dir/ca/index.txt")

  if [ "$check_due" -gt 0 ]; then
    echo "certs.sh: check: $check_due item(s) end within $within days or have ended (above)" >&2
    exit 3
  fi
  note "check: nothing ends within $within days"
}
