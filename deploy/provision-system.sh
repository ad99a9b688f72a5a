# shellcheck shell=bash
# Helpers of provision-gateway.sh for the system around the release, sourced by it after
# provision-lib.sh (shipped beside it in the release's deploy/): packages and accounts, the
# unit's enabling, the clock's source and the fallback directory's tmpfiles.d entry. They read
# the caller's variables as provision-lib.sh's do.
# shellcheck disable=SC2154 # the caller's variables, set by provision-gateway.sh

# install_packages_and_accounts GPIOD_PKG: libgpiod's package, systemd-timesyncd and the edgeguard
# account in groups gpio, i2c and spi; on a real system only (under --root, printed).
install_packages_and_accounts() {
  local group
  echo "packages and accounts:"
  if [ "$mode" = root ]; then
    system "apt-get install --no-install-recommends $1 (when missing)"
  elif grep -q 'ok installed' <<<"$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)"; then
    report unchanged "package $1"
  else
    report installed "package $1"
    system apt-get update -qq
    system env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1"
  fi
  # The clock's source (see "time:" below). Raspberry Pi OS ships it; a minimal image may not.
  if [ "$mode" = root ]; then
    system "apt-get install --no-install-recommends systemd-timesyncd (when missing)"
  elif grep -q 'ok installed' <<<"$(dpkg-query -W -f='${Status}' systemd-timesyncd 2>/dev/null || true)"; then
    report unchanged "package systemd-timesyncd"
  else
    report installed "package systemd-timesyncd"
    system env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      systemd-timesyncd
  fi
  if [ "$mode" = system ]; then
    for group in gpio i2c spi; do
      if getent group "$group" >/dev/null; then
        report unchanged "group $group"
      else
        report created "group $group"
        system groupadd --system "$group"
      fi
    done
    if id edgeguard >/dev/null 2>&1; then
      report unchanged "user edgeguard"
      for group in gpio i2c spi; do
        grep -qx "$group" <<<"$(id -nG edgeguard | tr ' ' '\n')" && continue
        report added "user edgeguard to group $group"
        system usermod -a -G "$group" edgeguard
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
}

# enable_service UNIT_STATE: edgeguard.service enabled and (re)started on a real system; under
# --root its wants link, only when DIR has the accounts to run it, else the caller's not_enabled
# says what DIR lacks.
enable_service() {
  local unit_state=$1 wants missing group m not_started
  wants=/etc/systemd/system/multi-user.target.wants/edgeguard.service
  if [ "$mode" = root ]; then
    # Enabled only when DIR can run it: without the user or its groups the unit fails at every start
    # (status 217/USER, 216/GROUP). What `systemctl enable` does, without a running systemd.
    missing=()
    [ -n "$eg_uid" ] || missing+=("user edgeguard (etc/passwd)")
    [ -n "$eg_gid" ] || missing+=("group edgeguard (etc/group)")
    for group in gpio i2c spi; do
      if [ -z "$(lookup group "$group")" ]; then missing+=("group $group"); elif ! in_group "$group" edgeguard; then missing+=("edgeguard in group $group"); fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
      [ -d "$R${wants%/*}" ] || [ "$dry_run" = true ] || mkdir -p "$R${wants%/*}" || die "cannot create $R${wants%/*}"
      ensure_symlink "$wants" /etc/systemd/system/edgeguard.service
      system systemctl daemon-reload
      system systemctl start edgeguard.service
    else
      not_enabled="$R/etc lacks ${missing[0]}"
      for m in "${missing[@]:1}"; do not_enabled+=", $m"; done
      if [ -L "$R$wants" ]; then
        report removed "$wants (cannot run here)"
        [ "$dry_run" = true ] || rm -f -- "$R$wants" || die "cannot remove $R$wants"
      fi
      note "not enabled: edgeguard.service ($not_enabled)"
    fi
  else
    # Also when an earlier run changed the unit and stopped before its reload.
    if [ "$unit_state" != unchanged ] || [ "$(systemctl show -P NeedDaemonReload edgeguard.service 2>/dev/null || true)" = yes ]; then
      system systemctl daemon-reload
    fi
    not_started="edgeguard.service did not start with EdgeGuard $version (current -> $version): why is in 'journalctl -u edgeguard -n 50'; fix and run again, or roll back (deploy/README.md, Rollback)"
    # systemd counts every start against the unit's start limit (StartLimitAction=reboot), manual
    # ones too: a commissioning visit's restarts and walk tests could use it up, and this restart
    # then rebooted the gateway. What a technician asks for starts afresh.
    system systemctl reset-failed edgeguard.service 2>/dev/null || true
    if [ "$changes" -gt 0 ] || [ -e "$R$restart_marker" ]; then
      # A restart is owed whatever the unit's state. Not only when active: a gateway still starting
      # (activating: a start queued during a walk test waits for its lock, having read the old
      # config first) is not active, and `enable --now` only joined its start job, so the old
      # release ran on the old config. restart replaces a start job under way and starts a stopped
      # or failed unit. Type=notify: it waits for READY=1, so a release that fails at start fails here.
      if [ "$changes" -eq 0 ]; then
        report restarted "edgeguard.service (an earlier run switched to EdgeGuard $version and stopped before its restart)"
      fi
      if [ "$dry_run" = true ] || ! systemctl is-enabled --quiet edgeguard.service; then
        report enabled "edgeguard.service (systemctl enable)"
      fi
      system systemctl enable edgeguard.service ||
        die "systemctl enable edgeguard.service failed: the gateway was not restarted onto EdgeGuard $version; fix and run again (it restarts the gateway then)"
      system systemctl restart edgeguard.service || die "$not_started"
      [ "$dry_run" = true ] || note "restarted edgeguard.service"
    elif [ "$dry_run" = true ] || ! systemctl is-enabled --quiet edgeguard.service || ! systemctl is-active --quiet edgeguard.service; then
      # Nothing switched: a stopped gateway is started; a start job under way runs what is installed.
      report enabled "edgeguard.service (systemctl enable --now)"
      system systemctl enable --now edgeguard.service || die "$not_started"
    else
      report unchanged "edgeguard.service enabled and running"
    fi
    # Running on what this run (or the one it finishes) switched.
    [ "$dry_run" = true ] || rm -f -- "$R$restart_marker"
  fi
}

# The clock's source. Office commands are checked against this clock with 30 s of skew: a Pi has
# no RTC and boots after a power cut behind by the outage. Only the given server: the default pool
# is unreachable from a gateway, and trying it would only delay the sync. The unit does not wait
# for the sync (a panic button must work at once); the gateway reports fault.clock while commands
# disagree.
timesync_rel=/etc/systemd/timesyncd.conf.d/edgeguard.conf
# The drop-in's first line when --time-server chose its server: a later run without the option keeps it.
time_server_given_note="# Written by EdgeGuard's provision-gateway.sh from --time-server; runs without it keep this server."
# Its first line at the broker's host by default: a later run follows the broker.
time_server_broker_note="# Written by EdgeGuard's provision-gateway.sh: the broker's host (no --time-server); runs follow the broker."
# Its first line as releases before these two wrote it, either way.
time_server_legacy_note="# Written by EdgeGuard's provision-gateway.sh (--time-server); changed by running it again."
# given_time_server_installed RENDER CONFIG: the server the installed drop-in names when --time-server
# chose it: its first line says so, or (a drop-in of a release before these notes) it names another
# host than the installed CONFIG's mqtt.host, which RENDER (render-config.py) reads. Nothing when it is
# the broker's host by default, or there is no drop-in. Only the old note is judged by the host: the
# config is switched before the drop-in, so after a run that stopped between the two they differ.
given_time_server_installed() {
  local note server host
  [ -f "$R$timesync_rel" ] || return 0
  note=$(head -n 1 -- "$R$timesync_rel")
  server=$(sed -n 's/^NTP=//p' -- "$R$timesync_rel" | sed -n 1p)
  if [ "$note" = "$time_server_given_note" ]; then
    printf '%s\n' "$server"
  elif [ "$note" = "$time_server_legacy_note" ] && [ -n "$server" ] && [ -f "$2" ]; then
    host=$(python3 "$1" --mqtt-host "$2" 2>/dev/null) || return 0
    [ -z "$host" ] || [ "$host" = "$server" ] || printf '%s\n' "$server"
  fi
}
# stage_time_sync SERVER ORIGIN: stages the drop-in as .provision-tmp with the other copies, before the
# first rename (a full card then stops the run before anything is switched); prints its state. ORIGIN
# is given, kept (given by an earlier run) or broker (the default). Must be called as an assignment,
# like stage_file.
stage_time_sync() {
  local note=$time_server_broker_note
  [ "$2" = broker ] || note=$time_server_given_note
  printf '%s\n' "$note" "[Time]" "NTP=$1" "FallbackNTP=" >"$staging/timesyncd.conf"
  stage_file "$staging/timesyncd.conf" "$timesync_rel" 644 root root .provision-tmp
}
# apply_time_sync STATE SERVER: after the release, its config and unit are switched: the drop-in's
# rename and timesyncd's (re)start. The gateway works without NTP, so a failure here (a masked
# timesyncd, no D-Bus) is a warning saying what to do, never an abort after the switch.
apply_time_sync() {
  local failed=()
  echo "time:"
  case "$1" in
    installed | updated)
      if [ "$dry_run" = false ] && ! mv -f -- "$R$timesync_rel.provision-tmp" "$R$timesync_rel"; then
        warn "cannot move $R$timesync_rel.provision-tmp into place: systemd-timesyncd keeps its" \
          "old server. Run provision-gateway.sh again once the card is writable"
        return 0
      fi
      ;;
  esac
  report "$1" "$timesync_rel (NTP=$2)"
  if [ "$mode" = root ]; then
    system "timedatectl set-ntp true (systemd-timesyncd enabled, started)"
    return 0
  elif [ "$1" = unchanged ] && [ "$dry_run" = false ] && systemctl is-active --quiet systemd-timesyncd.service; then
    return 0
  fi
  system timedatectl set-ntp true || failed+=("timedatectl set-ntp true")
  system systemctl restart systemd-timesyncd.service || failed+=("systemctl restart systemd-timesyncd.service")
  [ "${#failed[@]}" -eq 0 ] && return 0
  local what="'${failed[0]}'"
  [ "${#failed[@]}" -eq 1 ] || what+=" and '${failed[1]}'"
  warn "the clock is not synced: $what failed. The gateway" \
    "runs, but office commands are refused once its clock is 30 s off (fault.clock). Fix" \
    "systemd-timesyncd (if masked: systemctl unmask systemd-timesyncd), then run timedatectl" \
    "set-ntp true; systemctl restart systemd-timesyncd; check with timedatectl timesync-status"
}

# The journal's volatile fallback directory /run/edgeguard (tmpfs), where a gateway whose state
# directory does not answer also takes its lock. The unit makes it only when it starts
# (RuntimeDirectory=): after a boot with the unit disabled the walk test, run as the gateway's
# user, cannot create it in /run and refuses. systemd-tmpfiles makes it at every boot from this
# entry, with the unit's RuntimeDirectoryMode and User/Group, so neither changes what the other
# made; the unit's RuntimeDirectoryPreserve=yes keeps it at stop. Age "-": never cleaned.
tmpfiles_rel=/etc/tmpfiles.d/edgeguard.conf
tmpfiles_line="d /run/edgeguard 0750 edgeguard edgeguard -"
# stage_tmpfiles: stages the entry as .provision-tmp with the other copies, before the first
# rename; prints its state. Must be called as an assignment, like stage_file.
stage_tmpfiles() {
  printf '%s\n' "# Written by EdgeGuard's provision-gateway.sh: the journal's fallback directory" \
    "# and the gateway's second lock, there at every boot even with edgeguard.service disabled." \
    "$tmpfiles_line" >"$staging/tmpfiles.conf"
  stage_file "$staging/tmpfiles.conf" "$tmpfiles_rel" 644 root root .provision-tmp
}
# apply_tmpfiles STATE: the entry's rename, then the directory made now, not only at the next boot
# (systemd-tmpfiles when systemd is there, else install -d). Under --root the target's /run is the
# tmpfs of the machine that boots it: its boot makes the directory. After the switch, so a failure
# is a warning: the unit makes the directory when it starts anyway.
apply_tmpfiles() {
  case "$1" in
    installed | updated)
      [ "$dry_run" = true ] || move_into_place "$R$tmpfiles_rel.provision-tmp" "$R$tmpfiles_rel"
      ;;
  esac
  report "$1" "$tmpfiles_rel (${tmpfiles_line% -})"
  local create=(systemd-tmpfiles --create "$tmpfiles_rel")
  [ "$mode" = root ] || command -v systemd-tmpfiles >/dev/null 2>&1 ||
    create=(install -d -o edgeguard -g edgeguard -m 0750 /run/edgeguard)
  system "${create[@]}" ||
    warn "'${create[*]}' failed: /run/edgeguard exists only once edgeguard.service has started" \
      "this boot, and the walk test refuses without it. Run it again before walk-testing"
}
