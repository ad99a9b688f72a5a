# shellcheck shell=bash
# Helpers of provision-gateway.sh, sourced by it (never run alone; shipped beside it in the release's
# deploy/). They read the caller's R (target root, "" for /), dry_run, can_chown, eg_uid and eg_gid,
# and count reported changes in its `changes`.
# shellcheck disable=SC2154 # R, dry_run, mode, can_chown, eg_uid, eg_gid: set by provision-gateway.sh

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
lookup() { { sed -n "s/^$2:[^:]*:\([0-9]*\):.*/\1/p" "$R/etc/$1" 2>/dev/null || true; } | head -n 1; }
# Whether the target's etc/group lists USER as a member of GROUP: in_group GROUP USER.
in_group() {
  local members
  members=$({ sed -n "s/^$1:[^:]*:[0-9]*:\(.*\)$/\1/p" "$R/etc/group" 2>/dev/null || true; } | head -n 1)
  [[ ",$members," == *",$2,"* ]]
}
owner_of() { case "$1" in root) echo 0 ;; edgeguard) echo "${eg_uid:-0}" ;; esac; }
group_of() { case "$1" in root) echo 0 ;; edgeguard) echo "${eg_gid:-0}" ;; esac; }

# fix_attrs PATH MODE OWNER GROUP: chmod/chown only what differs; echoes what it fixed.
fix_attrs() {
  local path=$1 mode=$2 uid gid want fixed=""
  uid=$(owner_of "$3")
  gid=$(group_of "$4")
  if [ "$(stat -c %a "$path")" != "$mode" ]; then
    [ "$dry_run" = true ] || chmod "$mode" "$path" || die "cannot chmod $mode $path"
    fixed="mode $mode"
  fi
  if [ "$can_chown" = true ]; then
    want="$uid:$gid"
    if [ "$(stat -c %u:%g "$path")" != "$want" ]; then
      [ "$dry_run" = true ] || chown -h "$want" "$path" || die "cannot chown $want $path"
      fixed="${fixed:+$fixed, }owner $3:$4"
    fi
  fi
  echo "$fixed"
}
ensure_dir() {
  local dest=$R$1 fixed
  if [ ! -d "$dest" ]; then
    report created "$1/ ($2 $3:$4)"
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
# move_into_place TMP DEST: the atomic rename that replaces DEST.
move_into_place() {
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
  mv -Tf -- "$R$1.provision-tmp" "$R$1" || die "cannot move the symlink into place as $R$1"
}
# ensure_symlink REL TARGET: stage_symlink and its rename in one step, reported.
ensure_symlink() {
  local state
  state=$(stage_symlink "$1" "$2")
  report "$state" "$1 -> $2"
  case "$state" in created | updated) [ "$dry_run" = true ] || move_symlink_into_place "$1" ;; esac
}
