# shellcheck shell=bash
# Helpers of provision-gateway.sh for what a gateway already holds in /var/lib/edgeguard, sourced
# by it after provision-lib.sh (shipped beside it in the release's deploy/). They read the
# caller's variables as provision-lib.sh's do.
# shellcheck disable=SC2154 # the caller's variables, set by provision-gateway.sh

# fix_state_files: the files in /var/lib/edgeguard the gateway must write (its journal with the
# -wal and -shm, its lock and pid files) become edgeguard's when another user owns them: left
# root's by a tool run as root, they kept the gateway from starting ("attempt to write a readonly
# database", "access to edgeguard.lock is denied"), and neither ensure_dir nor systemd's
# StateDirectory= (which leaves a directory the user already owns alone) fixed them. A symlink
# is left alone (chown would follow it out of the directory), and chown -h never follows one
# swapped in after the check (the service user owns the directory). Without chown rights they are named.
fix_state_files() {
  local name rel path have foreign=()
  [ -n "$eg_uid" ] && [ -n "$eg_gid" ] || return 0
  for name in edgeguard.db edgeguard.db-wal edgeguard.db-shm edgeguard.lock edgeguard.pid; do
    rel=/var/lib/edgeguard/$name path=$R$rel
    if [ -L "$path" ] || [ ! -e "$path" ]; then continue; fi
    have=$(stat -c '%u:%g' -- "$path")
    [ "$have" != "$eg_uid:$eg_gid" ] || continue
    if [ "$can_chown" = true ]; then
      report fixed "$rel (owner edgeguard:edgeguard, was $have: the gateway must write it)"
      [ "$dry_run" = true ] || chown -h -- "$eg_uid:$eg_gid" "$path" || die "cannot chown $eg_uid:$eg_gid $path"
    else
      foreign+=("$path")
    fi
  done
  [ "${#foreign[@]}" -eq 0 ] ||
    warn "not the gateway's, which must write them (it will not start): ${foreign[*]}; fix: chown $eg_uid:$eg_gid ${foreign[*]}"
}

# check_journal_schema: asks the release about to be switched to whether it can open the journal.
# A newer release may have migrated it to a schema this one refuses at start (exit 2, which the
# unit never restarts): switched to, the site would have no controller. The release reads the
# file's schema only and creates nothing beside it. No journal yet (a first install) is fine.
# Reads the caller's validator, venv, as_user and runner (how it ran edgeguard validate).
check_journal_schema() {
  local schema_rc=0 schema_out journal_db=/var/lib/edgeguard/edgeguard.db
  if [ -e "$R$journal_db" ]; then
    echo "  checking the journal: edgeguard journal verify --schema-only --db $journal_db"
    schema_out=$("${venv[@]}" "${as_user[@]}" "${runner[@]}" "$validator" journal verify --schema-only --db "$R$journal_db" 2>&1) || schema_rc=$?
    case "$schema_rc" in
      0) indent <<<"$schema_out" ;;
      2)
        indent <<<"$schema_out" >&2
        die "EdgeGuard $version cannot open the journal $journal_db: its schema is newer than this release's (a newer release migrated it), and its gateway would exit at start, leaving the site without a controller. Nothing was switched (/opt/edgeguard/current -> $(readlink "$R/opt/edgeguard/current" 2>/dev/null || echo none)). Keep the newer release (provision it again), or restore a backup of the journal with a schema this release understands and run again"
        ;;
      *)
        indent <<<"$schema_out" >&2
        warn "could not check the journal's schema with EdgeGuard $version (exit $schema_rc); if the gateway does not start, see: journalctl -u edgeguard"
        ;;
    esac
  fi
}
