#!/usr/bin/env bash
# Self-test of the MQTT contract tools:
#   1. docs/mqtt.asyncapi.yaml is valid (run.sh), and the validator does fail on a broken copy;
#   2. every examples/valid-*.txt passes validate-messages.mjs;
#   3. every examples/invalid/*.txt fails, with the errors it names in its `# expect:` lines
#      (`# args:` adds options, `# expect-summary:` overrides the expected "0 passed, 1 failed");
#   4. with Mosquitto installed: the valid examples published to a real broker and captured with
#      `mosquitto_sub -v` and `mosquitto_sub -F %j` pass too (skipped without Mosquitto).
# Ends with "N passed, N failed"; exit 1 if any check failed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

passed=0
failed=0
tmp="$(mktemp -d)"
broker_pid=""
cleanup() {
  if [ -n "$broker_pid" ]; then kill "$broker_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() {
  failed=$((failed + 1))
  echo "FAIL $1"
  if [ -n "${2:-}" ] && [ -f "$2" ]; then sed 's/^/       | /' "$2"; fi
}

# Number of message lines in capture files (not comments, not blank).
count_messages() { cat "$@" | grep -cv -e '^#' -e '^[[:space:]]*$' || true; }

# --- 1. the AsyncAPI document -------------------------------------------------------------
if ./run.sh >"$tmp/out" 2>&1 && [ "$(tail -n 1 "$tmp/out")" = "asyncapi: valid, 7 channels, 7 operations" ]; then
  ok "asyncapi document is valid: $(tail -n 2 "$tmp/out" | head -n 1)"
else
  bad "asyncapi document is valid" "$tmp/out"
fi

broken_copy() { # $1 = name; prints the path of a fresh copy of docs/
  rm -rf "${tmp:?}/${1:?}" && mkdir -p "$tmp/$1" && cp -r ../../docs "$tmp/$1/" && echo "$tmp/$1/docs"
}
docs="$(broken_copy dangling-channel)"
sed -i "s|\$ref: '#/channels/events'|\$ref: '#/channels/evnts'|" "$docs/mqtt.asyncapi.yaml"
if node validate-asyncapi.mjs "$docs/mqtt.asyncapi.yaml" >"$tmp/out" 2>&1; then
  bad "asyncapi validator rejects an operation on a missing channel" "$tmp/out"
else ok "asyncapi validator rejects an operation on a missing channel"; fi

docs="$(broken_copy broken-schema)"
sed -i 's/"type": "boolean", "description": "True when the point is active/"type": "bool", "description": "True when the point is active/' \
  "$docs/schemas/state-point.schema.json"
if node validate-asyncapi.mjs "$docs/mqtt.asyncapi.yaml" >"$tmp/out" 2>&1; then
  bad "asyncapi validator rejects a broken payload schema" "$tmp/out"
else ok "asyncapi validator rejects a broken payload schema"; fi

docs="$(broken_copy bad-example)"
sed -i 's/^            severity: critical$/            severity: urgent/' "$docs/mqtt.asyncapi.yaml"
if node validate-asyncapi.mjs "$docs/mqtt.asyncapi.yaml" >"$tmp/out" 2>&1; then
  bad "asyncapi validator rejects a message example that breaks its schema" "$tmp/out"
else ok "asyncapi validator rejects a message example that breaks its schema"; fi

# --- 2. valid examples --------------------------------------------------------------------
for f in examples/valid-*.txt; do
  n="$(count_messages "$f")"
  if node validate-messages.mjs "$f" >"$tmp/out" 2>&1 && [ "$(tail -n 1 "$tmp/out")" = "$n passed, 0 failed" ]; then
    ok "$f: $n passed"
  else
    bad "$f passes" "$tmp/out"
  fi
done

if node validate-messages.mjs --check-seq --known-types examples/valid-events.txt >"$tmp/out" 2>&1; then
  ok "examples/valid-events.txt passes --check-seq --known-types"
else bad "examples/valid-events.txt passes --check-seq --known-types" "$tmp/out"; fi

all="$(count_messages examples/valid-*.txt)"
if node validate-messages.mjs --check-seq < <(cat examples/valid-*.txt) >"$tmp/out" 2>&1 \
  && [ "$(tail -n 1 "$tmp/out")" = "$all passed, 0 failed" ]; then
  ok "all valid examples on standard input: $all passed"
else bad "all valid examples on standard input" "$tmp/out"; fi

if node validate-messages.mjs </dev/null >"$tmp/out" 2>&1; then
  bad "no input fails" "$tmp/out"
elif [ "$(tail -n 1 "$tmp/out")" = "0 passed, 0 failed" ]; then
  ok "no input fails with 0 passed, 0 failed"
else bad "no input fails with 0 passed, 0 failed" "$tmp/out"; fi

# --- 3. invalid examples ------------------------------------------------------------------
for f in examples/invalid/*.txt; do
  read -r -a args <<<"$(sed -n 's/^# args: //p' "$f")"
  summary="$(sed -n 's/^# expect-summary: //p' "$f")"
  summary="${summary:-0 passed, 1 failed}"
  if node validate-messages.mjs "${args[@]}" "$f" >"$tmp/out" 2>&1; then
    bad "$f fails (it passed)" "$tmp/out"
    continue
  fi
  problems=()
  [ "$(tail -n 1 "$tmp/out")" = "$summary" ] || problems+=("last line is not \"$summary\"")
  while IFS= read -r want; do
    grep -qF -- "$want" "$tmp/out" || problems+=("no error containing: $want")
  done < <(sed -n 's/^# expect: //p' "$f")
  if [ "${#problems[@]}" -eq 0 ]; then
    ok "$f fails: $(sed -n 's/^# expect: //p' "$f" | head -n 1)"
  else
    printf '%s\n' "${problems[@]}" >>"$tmp/out"
    bad "$f fails as expected" "$tmp/out"
  fi
done

# A report larger than a pipe's buffer, read through a pipe as a test harness or CI reads it:
# exiting with process.exit() dropped the output still queued, the summary line with it.
for _ in $(seq 3000); do echo "edgeguard/v1/site-1/gw-1/availability maybe"; done >"$tmp/many.txt"
{ node validate-messages.mjs "$tmp/many.txt" 2>&1 || true; } | cat >"$tmp/out"
if [ "$(tail -n 1 "$tmp/out")" = "0 passed, 3000 failed" ] && [ "$(grep -c '^FAIL ' "$tmp/out")" = 3000 ]; then
  ok "a report of 3000 failures through a pipe is whole, summary last"
else
  tail -n 3 "$tmp/out" >"$tmp/out.tail"
  bad "a report of 3000 failures through a pipe is whole, summary last" "$tmp/out.tail"
fi

# --- 4. real Mosquitto, real mosquitto_sub output ----------------------------------------
if command -v mosquitto >/dev/null 2>&1 && command -v mosquitto_pub >/dev/null 2>&1 && command -v mosquitto_sub >/dev/null 2>&1; then
  port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n' "$port" >"$tmp/mosquitto.conf"
  mosquitto -c "$tmp/mosquitto.conf" 2>"$tmp/mosquitto.log" &
  broker_pid=$!
  probe=(-h 127.0.0.1 -p "$port" -V mqttv5 -q 1 -t edgeguard/v1/self-test/probe/availability -m online -r
    -D publish user-property session 1 -D publish payload-format-indicator 1)
  for _ in $(seq 50); do
    mosquitto_pub "${probe[@]}" 2>/dev/null && break
    sleep 0.1
  done
  live=(examples/valid-events.txt examples/valid-future-types.txt examples/valid-state.txt examples/valid-commands.txt)
  expected=$(($(count_messages "${live[@]}") + 1)) # + the retained probe
  sub=(-h 127.0.0.1 -p "$port" -V mqttv5 -q 1 -t 'edgeguard/v1/#' -C "$expected" -W 30)
  mosquitto_sub "${sub[@]}" -v >"$tmp/capture-v.txt" 2>"$tmp/sub-v.log" &
  sub_v=$!
  mosquitto_sub "${sub[@]}" -F '%j' >"$tmp/capture-j.txt" 2>"$tmp/sub-j.log" &
  sub_j=$!
  # Both subscribers are subscribed once the retained probe has reached them.
  for _ in $(seq 100); do
    [ -s "$tmp/capture-v.txt" ] && [ -s "$tmp/capture-j.txt" ] && break
    sleep 0.1
  done
  if node test/publish-examples.mjs "$port" "${live[@]}" >"$tmp/out" 2>&1 && wait "$sub_v" && wait "$sub_j"; then
    for capture in capture-v capture-j; do
      if node validate-messages.mjs --check-seq "$tmp/$capture.txt" >"$tmp/out" 2>&1 \
        && [ "$(tail -n 1 "$tmp/out")" = "$expected passed, 0 failed" ]; then
        ok "live Mosquitto, mosquitto_sub ${capture#capture-} capture: $expected passed"
      else
        bad "live Mosquitto, mosquitto_sub ${capture#capture-} capture" "$tmp/out"
      fi
    done
  else
    cat "$tmp/sub-v.log" "$tmp/sub-j.log" "$tmp/mosquitto.log" >>"$tmp/out"
    bad "live Mosquitto: publish and capture $expected messages" "$tmp/out"
  fi
  kill "$broker_pid" 2>/dev/null || true
  wait "$broker_pid" 2>/dev/null || true
  broker_pid=""
else
  echo "skip live Mosquitto check (mosquitto, mosquitto_pub or mosquitto_sub not installed)"
fi

echo "self-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
