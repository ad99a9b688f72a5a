#!/usr/bin/env node
// Validates captured MQTT messages against EdgeGuard's MQTT contract (docs/schemas).
//
//   mosquitto_sub -V mqttv5 -q 1 -v -t 'edgeguard/v1/#' | node validate-messages.mjs
//   node validate-messages.mjs [options] capture.txt [more.txt ...]     ("-" = standard input)
//
// Input: one message per line, as `mosquitto_sub -v` prints it: `<topic> <payload>` (an empty
// payload prints as `(null)`). Lines that start with `{` are read as `mosquitto_sub -F %j` records
// (subscribe with -V mqttv5 -q 1): these also carry QoS, retain and MQTT 5 properties, which are
// checked too (user properties `seq`, `session` and an orderly offline's `lastSeq` and
// `deliveredThrough`, content type, retained commands, response topic).
// Empty lines and lines starting with `#` are skipped (no MQTT topic name can start with `#`).
//
// The schema is picked from the topic; every message is validated with Ajv (JSON Schema draft
// 2020-12, formats), then cross-checked (site/gateway/point in the payload equal the topic levels).
// Each failure is printed with its source line, topic and errors; the last line is
// `N passed, N failed`. Exit 1 when any message failed or no message was read.
//
// Options:
//   --check-seq      also check each gateway's event stream: a seq must not skip (gap) unless the
//                    event at the new seq is a journal.gap declaring the skipped seqs (throughSeq =
//                    seq - 1, fromSeq <= last seq seen + 1); a seq the gap declared skipped must not
//                    arrive after it; a seq/id pair must not change (redeliveries and replays with
//                    the same id and seq are fine); after a journal in RAM (journal.gap new-journal,
//                    then fault.journal-unavailable) the real journal may come back below it after
//                    a reboot, at the last seq seen before that gap + 1 (the asyncapi's `resume`)
//   --known-types    fail events whose type is not one of the known types of event-data.schema.json
//                    (by default unknown types pass with any object as data, for forward compatibility)
//   --schemas DIR    schema directory (default: docs/schemas of this repository)
//   --verbose        also print a line for every message that passed
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { loadSchemas, classifyTopic, formatAjvErrors, defaultSchemaDir } from './lib/contract.mjs';

function usage(code) {
  const text = readFileSync(new URL(import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('//'))
    .map((l) => l.replace(/^\/\/ ?/, ''))
    .join('\n');
  (code === 0 ? console.log : console.error)(text);
  process.exit(code);
}

const opts = { checkSeq: false, knownTypes: false, verbose: false, schemaDir: defaultSchemaDir, inputs: [] };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--check-seq') opts.checkSeq = true;
  else if (a === '--known-types') opts.knownTypes = true;
  else if (a === '--verbose' || a === '-v') opts.verbose = true;
  else if (a === '--schemas') opts.schemaDir = path.resolve(argv[++i] ?? usage(2));
  else if (a === '--help' || a === '-h') usage(0);
  else if (a.startsWith('--')) {
    console.error(`validate-messages: unknown option ${a}`);
    usage(2);
  } else opts.inputs.push(a);
}
if (opts.inputs.length === 0) opts.inputs.push('-');

let schemas;
try {
  schemas = loadSchemas(opts.schemaDir);
} catch (e) {
  console.error(`validate-messages: cannot load schemas: ${e.message}`);
  process.exit(2);
}
const eventData = JSON.parse(readFileSync(path.join(opts.schemaDir, 'event-data.schema.json'), 'utf8'));
const knownEventTypes = new Set(Object.keys(eventData.$defs).filter((k) => k.includes('.')));

/** Splits one captured line into { topic, payload (string or null), record (for %j) }. */
function parseLine(line) {
  if (line.startsWith('{')) {
    let r;
    try {
      r = JSON.parse(line);
    } catch (e) {
      return { error: `line starts with "{" but is not a mosquitto_sub -F %j record: ${e.message}` };
    }
    if (typeof r?.topic !== 'string') return { error: 'mosquitto_sub -F %j record without a "topic"' };
    if (r.payload !== null && typeof r.payload !== 'string') {
      return { topic: r.topic, error: 'record payload is not a string: capture with -F %j (lowercase j), not %J' };
    }
    return { topic: r.topic, payload: r.payload === '' ? null : r.payload, record: r };
  }
  const space = line.indexOf(' ');
  const topic = space < 0 ? line : line.slice(0, space);
  const payload = space < 0 ? '' : line.slice(space + 1);
  return { topic, payload: payload === '' || payload === '(null)' ? null : payload };
}

/** A seq range for messages: "7" or "7..9". */
const span = (from, through) => (from === through ? `${from}` : `${from}..${through}`);

/**
 * The { fromSeq, throughSeq } of a journal.gap event, or null for any other event. Also null when
 * the fields are not integers, which only happens with --schemas pointing at schemas that predate
 * journal.gap (the type is then unknown and its data unchecked).
 */
function gapRange(event) {
  if (event?.type !== 'journal.gap') return null;
  const { fromSeq, throughSeq } = event.data ?? {};
  return Number.isInteger(fromSeq) && Number.isInteger(throughSeq) ? { fromSeq, throughSeq } : null;
}

/**
 * A journal.gap on its own: the office recognises a declared skip by finding the gap record right
 * at the jump, so its seq must be throughSeq + 1, and the range it declares must not be empty.
 */
function checkGapRecord(event) {
  const g = gapRange(event);
  if (!g) return [];
  const errors = [];
  if (g.fromSeq > g.throughSeq) errors.push(`journal.gap fromSeq ${g.fromSeq} is after its throughSeq ${g.throughSeq} (an empty range)`);
  if (event.seq !== g.throughSeq + 1) {
    errors.push(`journal.gap has seq ${event.seq}, but it must be throughSeq + 1 = ${g.throughSeq + 1} (right after the range it declares skipped)`);
  }
  return errors;
}

// "site/gateway" -> { first, last, idBySeq: Map, seqById: Map, skipped: [{ fromSeq, throughSeq, gapSeq }],
//   ram: { resume, gapSeq, armed } | undefined }
const seqState = new Map();

/**
 * The real journal back below a journal in RAM, after a reboot lost the RAM journal (asyncapi, "Order
 * and gaps"): an event with a new id at resume + 1, or a journal.gap from at most resume + 1 up to
 * the seq before it, where resume is the last seq seen before the RAM journal's new-journal gap.
 */
function backFromRam(s, event, gap) {
  const ram = s.ram;
  if (!ram?.armed || event.seq >= ram.gapSeq) return false;
  return gap ? gap.fromSeq <= ram.resume + 1 && event.seq > ram.resume + 1 : event.seq === ram.resume + 1;
}

function checkSeq(t, event) {
  const key = `${t.site}/${t.gateway}`;
  let s = seqState.get(key);
  if (!s) seqState.set(key, (s = { first: event.seq, last: event.seq, idBySeq: new Map(), seqById: new Map(), skipped: [] }));
  const errors = [];
  const seenId = s.idBySeq.get(event.seq);
  const seenSeq = s.seqById.get(event.id);
  const gap = gapRange(event);
  if (seenId !== undefined && seenId !== event.id) errors.push(`seq ${event.seq} reused: first with id ${seenId}, now ${event.id}`);
  if (seenSeq !== undefined && seenSeq !== event.seq) errors.push(`id ${event.id} seen before with seq ${seenSeq}, now seq ${event.seq}`);
  // A seq seen before (same id) is a redelivery or a replay: it moves nothing, so it is not
  // checked for jumps again. Only a first sighting can be a jump or arrive out of order.
  const skippedBy = seenId === undefined ? s.skipped.find((r) => event.seq >= r.fromSeq && event.seq <= r.throughSeq) : undefined;
  if (event.resend !== undefined) {
    // Sent again at the office's request (the resend command): it fills a gap the office saw,
    // beside the live stream, so it is neither a jump nor out of order, and moves nothing.
  } else if (seenId === undefined && backFromRam(s, event, gap)) {
    // The new-journal gap declared the seqs below the RAM journal skipped; the real journal now
    // goes on with them, so that declaration no longer stands, and `last` moves down to it.
    s.skipped = s.skipped.filter((r) => r.gapSeq !== s.ram.gapSeq);
    s.last = event.seq;
    s.ram = undefined;
  } else if (seenId === undefined && event.seq > s.last + 1) {
    // A jump is declared when it lands on the journal.gap for it (checkGapRecord has made sure that
    // throughSeq = seq - 1). Its fromSeq may be at or below last + 1: events published before they
    // were lost may have reached the office.
    if (!gap) {
      errors.push(`gap in ${key}: seq jumped from ${s.last} to ${event.seq} (${event.seq - s.last - 1} missing); no journal.gap declares them`);
    } else if (gap.fromSeq > s.last + 1) {
      errors.push(
        `gap in ${key}: seq jumped from ${s.last} to ${event.seq}, but this journal.gap declares only ` +
          `${span(gap.fromSeq, gap.throughSeq)} skipped: ${span(s.last + 1, gap.fromSeq - 1)} (${gap.fromSeq - s.last - 1}) missing`,
      );
    }
  } else if (skippedBy) {
    // Seqs of the range received before the gap record are fine (seen, so not here); a new one
    // after it contradicts the gap record: a skipped seq is sent, if at all, in seq order, so
    // before its gap (and after it again only as a resend of the same id).
    errors.push(
      `seq ${event.seq} of ${key} arrived after the journal.gap at seq ${skippedBy.gapSeq} declared ` +
        `${span(skippedBy.fromSeq, skippedBy.throughSeq)} skipped (a skipped seq never arrives first after its gap)`,
    );
  } else if (seenId === undefined && event.seq < s.last && event.seq > s.first) {
    errors.push(`seq ${event.seq} of ${key} arrived after ${s.last} without having been seen (out of order)`);
  }
  if (gap && seenId === undefined) s.skipped.push({ ...gap, gapSeq: event.seq });
  // A new journal only starts a RAM journal when fault.journal-unavailable follows its gap; a first
  // event with no seq seen before it leaves nothing to resume.
  if (seenId === undefined && event.type === 'journal.gap' && event.data?.cause === 'new-journal' && event.seq !== s.first) {
    s.ram = { resume: s.last, gapSeq: event.seq, armed: false };
  } else if (event.type === 'fault.journal-unavailable' && s.ram && event.seq > s.ram.gapSeq) {
    s.ram.armed = true;
  }
  s.idBySeq.set(event.seq, event.id);
  s.seqById.set(event.id, event.seq);
  if (event.resend === undefined && event.seq > s.last) s.last = event.seq;
  if (event.resend === undefined && event.seq < s.first) s.first = event.seq;
  return errors;
}

/** MQTT-level checks, only possible with `mosquitto_sub -F %j` records. */
function checkRecord(t, r, instance) {
  const errors = [];
  const root = `edgeguard/v1/${t.site}/${t.gateway}`;
  if (r.qos !== undefined && r.qos !== 1) {
    errors.push(`delivered with QoS ${r.qos}; the contract is QoS 1 (subscribe with -q 1 to see the publisher's QoS)`);
  }
  if (r.retain && !t.retained) {
    errors.push(t.kind === 'commands' ? 'retained command: a retained command is never obeyed' : `retained message on ${t.kind}, which is never retained`);
  }
  const props = r.properties;
  if (!props) {
    errors.push('no MQTT 5 properties in the record (capture with mosquitto_sub -V mqttv5)');
    return errors;
  }
  const user = props['user-properties'] ?? {};
  const contentType = props['content-type'];
  if (t.json && contentType !== 'application/json') {
    errors.push(`content type ${JSON.stringify(contentType ?? null)}; the contract is "application/json"`);
  }
  if (!t.json && contentType !== undefined && contentType !== 'text/plain') {
    errors.push(`content type ${JSON.stringify(contentType)} on availability; plain text (text/plain or none) expected`);
  }
  if (t.kind === 'availability' && !/^[0-9]{1,20}$/.test(user.session ?? '')) {
    errors.push(`user property "session" must be a decimal counter (got ${JSON.stringify(user.session ?? null)})`);
  }
  if (t.kind === 'availability') errors.push(...checkStopFigures(user, instance));
  if (t.kind === 'availability' && user.instance !== undefined && !/^[0-9a-f]{16}$/.test(user.instance)) {
    errors.push(`user property "instance" must be 16 lower-case hex digits (got ${JSON.stringify(user.instance)})`);
  }
  if (t.kind === 'events' && instance && typeof instance === 'object' && user.seq !== String(instance.seq)) {
    errors.push(`user property "seq" ${JSON.stringify(user.seq ?? null)} does not equal the payload's seq ${instance.seq}`);
  }
  if (t.kind === 'commands' && props['response-topic'] !== undefined && props['response-topic'] !== `${root}/command-results`) {
    errors.push(`response topic ${JSON.stringify(props['response-topic'])} must be ${root}/command-results`);
  }
  return errors;
}

/**
 * The figures an orderly `offline` carries (user properties `lastSeq`, `deliveredThrough`): both
 * or neither, decimal, only on `offline`, and never delivered past the last seq journaled.
 */
function checkStopFigures(user, instance) {
  const names = ['lastSeq', 'deliveredThrough'];
  const present = names.filter((n) => user[n] !== undefined);
  if (present.length === 0) return [];
  const errors = [];
  if (instance !== 'offline') errors.push(`user properties ${present.join(', ')} belong to an orderly "offline" only`);
  if (present.length === 1) errors.push(`user properties lastSeq and deliveredThrough go together (only ${present[0]} given)`);
  for (const n of present) {
    if (!/^(0|[1-9][0-9]{0,18})$/.test(user[n])) errors.push(`user property "${n}" must be a decimal seq (got ${JSON.stringify(user[n])})`);
  }
  if (errors.length === 0 && BigInt(user.deliveredThrough) > BigInt(user.lastSeq)) {
    errors.push(`deliveredThrough ${user.deliveredThrough} is past lastSeq ${user.lastSeq}`);
  }
  return errors;
}

const unknownTypes = new Map();

/** Returns the list of problems with one message (empty = valid). */
function validate(msg) {
  if (msg.error && msg.topic === undefined) return [msg.error];
  const t = classifyTopic(msg.topic);
  if (!t) return [`topic is not part of the contract (edgeguard/v1/{site}/{gateway}/availability|events|state/lockdown|state/delivery|state/points/{point}|commands|command-results)`];
  if (msg.error) return [msg.error];
  if (msg.payload === null) {
    // The one delete in the contract: the gateway clears the retained state of a point no longer
    // in its config (renamed or removed) after each connect. It carries no properties; only its
    // QoS can be checked.
    if (t.kind === 'state/points') {
      return msg.record && msg.record.qos !== undefined && msg.record.qos !== 1
        ? [`point-state delete delivered with QoS ${msg.record.qos}; the contract is QoS 1`]
        : [];
    }
    return [`empty payload on ${t.kind} (deleting a retained message is part of the contract only for state/points/{point}, a point removed from the config)`];
  }

  let instance = msg.payload;
  if (t.json) {
    try {
      instance = JSON.parse(msg.payload);
    } catch (e) {
      return [`payload is not JSON: ${e.message}`];
    }
  }
  const fn = schemas.validator(t.schema);
  const errors = fn(instance) ? [] : formatAjvErrors(fn.errors).map((e) => `${t.schema}: ${e}`);

  if (instance && typeof instance === 'object' && !Array.isArray(instance)) {
    if ('site' in instance && instance.site !== t.site) errors.push(`payload site ${JSON.stringify(instance.site)} differs from topic site "${t.site}"`);
    if ('gateway' in instance && instance.gateway !== t.gateway) errors.push(`payload gateway ${JSON.stringify(instance.gateway)} differs from topic gateway "${t.gateway}"`);
    if (t.kind === 'state/points' && instance.point !== t.point) errors.push(`payload point ${JSON.stringify(instance.point)} differs from topic point "${t.point}"`);
    if (t.kind === 'events' && typeof instance.type === 'string' && !knownEventTypes.has(instance.type)) {
      unknownTypes.set(instance.type, (unknownTypes.get(instance.type) ?? 0) + 1);
      if (opts.knownTypes) errors.push(`unknown event type "${instance.type}" (--known-types)`);
    }
    // JSON Schema cannot compare a field with another, so the gap record's seq/range rule is here.
    if (t.kind === 'events' && errors.length === 0) errors.push(...checkGapRecord(instance));
  }
  if (msg.record) errors.push(...checkRecord(t, msg.record, instance));
  if (opts.checkSeq && t.kind === 'events' && errors.length === 0) errors.push(...checkSeq(t, instance));
  return errors;
}

let passed = 0;
let failed = 0;

async function readInput(name) {
  const stream = name === '-' ? process.stdin : createReadStream(name, { encoding: 'utf8' });
  const label = name === '-' ? 'stdin' : name;
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const raw of rl) {
    lineNo++;
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    const msg = parseLine(line);
    const errors = validate(msg);
    const topic = msg.topic ?? '(no topic)';
    if (errors.length === 0) {
      passed++;
      if (opts.verbose) console.log(`ok   ${label}:${lineNo} ${topic}`);
    } else {
      failed++;
      console.log(`FAIL ${label}:${lineNo} ${topic}`);
      for (const e of errors) console.log(`       ${e}`);
    }
  }
}

// The exit code is set, never process.exit(): on a pipe stdout is written asynchronously, and
// exiting at once dropped what was still queued (a report over 64 KiB lost its summary line).
let readError = false;
try {
  for (const input of opts.inputs) await readInput(input);
} catch (e) {
  console.error(`validate-messages: ${e.message}`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  readError = true;
}

if (readError) {
  process.exitCode = 1;
} else {
  if (unknownTypes.size > 0) {
    const list = [...unknownTypes].map(([type, n]) => `${type} (${n})`).join(', ');
    console.error(`validate-messages: note: event types not in event-data.schema.json (data checked only as an object): ${list}`);
  }
  if (passed + failed === 0) console.error('validate-messages: no messages read');
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || passed + failed === 0 ? 1 : 0;
}
