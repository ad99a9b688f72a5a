# shellcheck shell=bash
# Helpers of provision-gateway.sh, sourced by it (never run alone; shipped beside it in the release's
# deploy/). They read the caller's R (target root, "" for /), dry_run, mode, can_chown, eg_uid,
# eg_gid, version and staging (its scratch directory), count reported changes in its `changes` and
# add to its `warnings`.
# shellcheck disable=SC2154 # the caller's variables above, set by provision-gateway.sh

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

# The numeric id of NAME in the target's etc/passwd or etc/group (under --root, DIR's): lookup FILE NAME.
lookup() { { sed -n "s/^$2:[^:]*:\([0-9]*\):.*/\1/p" "$R/etc/$1" 2>/dev/null || true; } | sed -n 1p; }
# Whether the target's etc/group lists USER as a member of GROUP: in_group GROUP USER.
in_group() {
  local members
  members=$({ sed -n "s/^$1:[^:]*:[0-9]*:\(.*\)$/\1/p" "$R/etc/group" 2>/dev/null || true; } | sed -n 1p)
  [[ ",$members," == *",$2,"* ]]
}
# fix_attrs PATH MODE OWNER GROUP (OWNER, GROUP: root or edgeguard): chmod/chown only what differs;
# echoes what it fixed. It runs for every file of the release on every run: one stat and no
# subshell of its own, as forks dominate a provisioning run (docs/PERFORMANCE.md, "Test suite time").
fix_attrs() {
  local path=$1 mode=$2 uid=0 gid=0 want have fixed=""
  [ "$3" != edgeguard ] || uid=${eg_uid:-0}
  [ "$4" != edgeguard ] || gid=${eg_gid:-0}
  have=$(stat -c '%a %u:%g' -- "$path")
  # The owner first: a key made under umask 077 (0600 root:root) opened to its group by chmod
  # first was readable by group root until the chown.
  if [ "$can_chown" = true ]; then
    want="$uid:$gid"
    if [ "${have#* }" != "$want" ]; then
      [ "$dry_run" = true ] || chown -h "$want" "$path" || die "cannot chown $want $path"
      fixed="owner $3:$4"
    fi
  fi
  if [ "${have%% *}" != "$mode" ]; then
    [ "$dry_run" = true ] || chmod "$mode" "$path" || die "cannot chmod $mode $path"
    fixed="mode $mode${fixed:+, $fixed}"
  fi
  echo "$fixed"
}
# attrs MODE OWNER GROUP: how a report names what was set; the owner only when it was (can_chown).
attrs() { if [ "$can_chown" = true ]; then echo "$1 $2:$3"; else echo "$1, owner not set"; fi; }
ensure_dir() {
  local dest=$R$1 fixed
  if [ ! -d "$dest" ]; then
    report created "$1/ ($(attrs "$2" "$3" "$4"))"
    [ "$dry_run" = true ] && return
    mkdir -p "$dest" || die "cannot create $dest"
    fix_attrs "$dest" "$2" "$3" "$4" >/dev/null
  else
    fixed=$(fix_attrs "$dest" "$2" "$3" "$4")
    if [ -n "$fixed" ]; then report fixed "$1/ ($fixed)"; else report unchanged "$1/"; fi
  fi
}

# write_copy SRC TMP: copies SRC to TMP, never readable by others while it is written (umask 077;
# the final mode is set afterwards), and checks the copy byte for byte. A failed or short copy
# (a full SD card) is removed and stops provisioning: the installed file is left as it was.
write_copy() {
  local src=$1 tmp=$2
  rm -f -- "$tmp" || die "cannot remove the stale $tmp"
  if ! (umask 077 && cp -- "$src" "$tmp") || ! cmp -s -- "$src" "$tmp"; then
    rm -f -- "$tmp"
    die "cannot write $tmp (disk full or read-only?): stopped, the installed ${tmp%.*} is unchanged"
  fi
}
# Present from a run's first switch on a real system until the gateway was restarted on what it
# switched (enable_service). A run stopped in between (Ctrl-C, a dropped SSH session, a failed
# daemon-reload) left the old release running on the old config; a run again found every file in
# place, so it changed and restarted nothing and said "nothing changed".
restart_marker=/etc/edgeguard/restart-pending
owe_restart() {
  [ "$mode" = system ] && [ "$dry_run" = false ] || return 0
  [ -e "$R$restart_marker" ] || : >"$R$restart_marker" || die "cannot write $R$restart_marker: stopped before switching anything"
}
# move_into_place TMP DEST: the atomic rename that replaces DEST.
move_into_place() {
  owe_restart
  mv -f -- "$1" "$2" || die "cannot move $1 to $2: stopped, the previous $2 is still in place"
}
# stage_file SRC REL MODE OWNER GROUP SUFFIX: prints unchanged, "fixed (...)", installed or updated.
# When the content differs, the new file is written as $R$REL$SUFFIX with its final mode and owner
# (not under --dry-run); the caller moves it into place (move_into_place).
stage_file() {
  local src=$1 dest=$R$2 fixed
  if [ -f "$dest" ] && [ ! -L "$dest" ] && cmp -s -- "$src" "$dest"; then
    fixed=$(fix_attrs "$dest" "$3" "$4" "$5")
    if [ -n "$fixed" ]; then echo "fixed ($fixed)"; else echo unchanged; fi
    return
  fi
  if [ "$dry_run" = false ]; then
    write_copy "$src" "$dest$6"
    fix_attrs "$dest$6" "$3" "$4" "$5" >/dev/null
  fi
  if [ -e "$dest" ]; then echo updated; else echo installed; fi
}
# install_file SRC REL MODE OWNER GROUP [quiet]: writes only when the content differs, atomically.
# Must be called as a statement or an assignment (x=$(install_file ...)), never inside [ ] or an
# if/|| condition, where bash ignores a failure.
install_file() {
  local what
  what=$(stage_file "$1" "$2" "$3" "$4" "$5" .provision-tmp)
  case "$what" in installed | updated) [ "$dry_run" = true ] || move_into_place "$R$2.provision-tmp" "$R$2" ;; esac
  if [ "${6:-}" = quiet ]; then echo "$what"; else report "$what" "$2"; fi
}
# stage_symlink REL TARGET: prints unchanged, created or updated; unless unchanged (or under
# --dry-run), makes the new link as $R$REL.provision-tmp for move_symlink_into_place. Must be called
# as an assignment (x=$(stage_symlink ...)), like install_file.
stage_symlink() {
  local dest=$R$1 target=$2
  if [ -L "$dest" ] && [ "$(readlink "$dest")" = "$target" ]; then
    echo unchanged
    return
  fi
  if [ "$dry_run" = false ]; then
    ln -sfn -- "$target" "$dest.provision-tmp" || die "cannot create the symlink $dest.provision-tmp"
  fi
  if [ -L "$dest" ]; then echo updated; else echo created; fi
}
# move_symlink_into_place REL: the atomic rename of the link stage_symlink made.
move_symlink_into_place() {
  owe_restart
  mv -Tf -- "$R$1.provision-tmp" "$R$1" || die "cannot move the symlink into place as $R$1"
}
# ensure_symlink REL TARGET: stage_symlink and its rename in one step, reported.
ensure_symlink() {
  local state
  state=$(stage_symlink "$1" "$2")
  report "$state" "$1 -> $2"
  case "$state" in created | updated) [ "$dry_run" = true ] || move_symlink_into_place "$1" ;; esac
}

# record_previous OLD_CURRENT: `previous` is the release `current` pointed at before it last changed
# (OLD_CURRENT, the name of a release directory or ""): the rollback target. Only an actual switch
# moves it and removes older releases, so running the same release again keeps it.
record_previous() {
  local dir old prev others=()
  if [ -n "$1" ] && [ "$1" != "$version" ]; then
    ensure_symlink /opt/edgeguard/previous "$1"
    for dir in "$R"/opt/edgeguard/*; do
      old=$(basename "$dir")
      # Only real release directories: never a symlink (rm -rf through one empties its target).
      if [ -L "$dir" ] || [ ! -f "$dir/MANIFEST" ] || [ "$old" = "$version" ] || [ "$old" = "$1" ]; then continue; fi
      report removed "/opt/edgeguard/$old (older release)"
      [ "$dry_run" = true ] || rm -rf -- "$dir" "$R$config.$old" || die "cannot remove $dir"
    done
    return
  fi
  # No switch. A run stopped between switching `current` and setting `previous` (a full disk at
  # the link, a power cut) left `previous` missing, naming this release or a directory that is
  # gone; a run again switched nothing, so it stayed so. The one other release installed is then
  # the one `current` was switched from. A `previous` naming another release is kept.
  prev=$(readlink "$R/opt/edgeguard/previous" 2>/dev/null || true)
  prev=${prev%/} prev=${prev##*/}
  if [ -n "$prev" ] && [ "$prev" != "$version" ] && [ -f "$R/opt/edgeguard/$prev/MANIFEST" ]; then return; fi
  for dir in "$R"/opt/edgeguard/*; do
    old=$(basename "$dir")
    if [ -L "$dir" ] || [ ! -f "$dir/MANIFEST" ] || [ "$old" = "$version" ]; then continue; fi
    others+=("$old")
  done
  case "${#others[@]}" in
    0) ;; # a first install: nothing to roll back to
    1) ensure_symlink /opt/edgeguard/previous "${others[0]}" ;;
    *) warn "/opt/edgeguard/previous names no other release, and ${others[*]} are installed: point it at the one to roll back to (ln -sfn VERSION /opt/edgeguard/previous)" ;;
  esac
}

# A problem that leaves the gateway working (it decides locally): said at once and again at the
# end, on stderr, with what the technician must do; provisioning goes on and exits 0.
warn() {
  note "WARNING: $*"
  warnings+=("$*")
}

# refuse_other_build MANIFEST APP: stops when APP (/opt/edgeguard/<version>) holds another build
# (commit, rid, self-contained, or the content a build from uncommitted changes names) than the
# tarball's MANIFEST. install_app copies file by file into
# that directory before the validator runs: another build there would leave the running release
# with unvalidated binaries after a refused config, or half old and half new after a full card.
# Staging a whole <version>.provision-tmp directory is not simpler: a directory cannot be renamed
# over a non-empty one, so the running release's directory would be missing between two renames.
# The same build again is allowed (it repairs a file changed on the gateway).
refuse_other_build() {
  local installed=$R$2/MANIFEST field old new differs=""
  [ -f "$installed" ] || return 0
  if cmp -s -- "$1" "$installed"; then return 0; fi
  for field in commit rid selfContained content; do
    old=$(sed -n "s/^$field=//p" "$installed" | sed -n 1p)
    new=$(sed -n "s/^$field=//p" "$1" | sed -n 1p)
    [ "$old" = "$new" ] || differs+="${differs:+; }installed $field ${old:-none}, tarball $field ${new:-none}"
  done
  die "$2 already holds another build of version $version (${differs:-its MANIFEST differs}): nothing" \
    "was changed. A version names one build: build the release again with a new version" \
    "(deploy/build-release.sh --version ...) and provision that"
}

# install_app PKG_APP APP: copies the release's files (PKG_APP) to APP (/opt/edgeguard/<version>),
# only those whose content differs, and removes files the release does not have; reports it.
# Its directories are repaired too (755 root:root): one that others may write lets them rename
# their own file over the binary the service runs as root starts it.
install_app() {
  local src=$1 app=$2 changed=0 files=0 rel perm state extra victim fixed
  [ -d "$R$app" ] || [ "$dry_run" = true ] || mkdir -p "$R$app" || die "cannot create $R$app"
  if [ -d "$R$app" ]; then
    # An assignment, so that a failed chmod stops the script (as for install_file below).
    fixed=$(fix_attrs "$R$app" 755 root root)
    [ -z "$fixed" ] || changed=$((changed + 1))
  fi
  # The lists are written to files first: a failure inside a process substitution (a cd, a find)
  # escapes set -e and pipefail, and a shorter list would be reported as installed.
  (cd "$src" && find . -mindepth 1 -printf '%P\0' | sort -z) >"$staging/app-files" ||
    die "cannot list the release's files in $src"
  while IFS= read -r -d '' rel; do
    files=$((files + 1))
    if [ -d "$src/$rel" ]; then
      if [ -d "$R$app/$rel" ]; then
        fixed=$(fix_attrs "$R$app/$rel" 755 root root)
        [ -z "$fixed" ] || changed=$((changed + 1))
        continue
      fi
      changed=$((changed + 1))
      [ "$dry_run" = true ] || { mkdir -p "$R$app/$rel" && chmod 755 "$R$app/$rel"; } || die "cannot create $R$app/$rel"
      continue
    fi
    perm=644
    [ -x "$src/$rel" ] && perm=755
    [ -d "$R$app" ] || { changed=$((changed + 1)); continue; }
    # An assignment, so that a failed copy stops the script (set -e ignores failures inside [ ]).
    state=$(install_file "$src/$rel" "$app/$rel" "$perm" root root quiet)
    [ "$state" = unchanged ] || changed=$((changed + 1))
  done <"$staging/app-files"
  # Files in the version's directory that the release does not have were not put there by us.
  # ($R is empty on a real system: never ${R:?}.)
  if [ -d "$R$app" ]; then
    (cd "$R$app" && find . -mindepth 1 -printf '%P\0' | while IFS= read -r -d '' p; do [ -e "$src/$p" ] || printf '%s\0' "$p"; done) >"$staging/app-extra" ||
      die "cannot list $R$app (to remove files the release does not have)"
    while IFS= read -r -d '' extra; do
      [ -n "$extra" ] || continue
      changed=$((changed + 1))
      victim=$R$app/$extra # never "/": $app is /opt/edgeguard/<version> and $extra is not empty
      [ "$dry_run" = true ] || rm -rf -- "$victim" || die "cannot remove $victim"
    done <"$staging/app-extra"
  fi
  if [ "$changed" -eq 0 ]; then report unchanged "$app/ ($files files)"; else report installed "$app/ ($changed of $files files)"; fi
}
