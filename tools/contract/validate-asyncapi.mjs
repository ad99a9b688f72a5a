#!/usr/bin/env node
// Validates docs/mqtt.asyncapi.yaml with the official AsyncAPI parser (@asyncapi/parser).
//
//   node validate-asyncapi.mjs [path/to/asyncapi.yaml]
//
// Exit 0 and, as the last line, "asyncapi: valid, N channels, M operations" when the parser reports no diagnostic of
// error severity; exit 1 (printing every error) otherwise. Warnings are printed but do not fail.
// $refs are resolved from local files only: any http(s) reference is an error, so the check is
// the same offline and online and the contract never depends on something fetched at run time.
//
// Beyond the parser's own rules it checks that the document agrees with docs/schemas and with
// validate-messages.mjs: every message payload is one of the docs/schemas files (by $id), every
// channel address maps (lib/contract.mjs) to the schema of its messages, every send operation's
// MQTT binding has QoS 1 and the retain flag of its topic, and every message example validates
// against its payload schema (JSON Schema 2020-12, the same Ajv setup as validate-messages.mjs)
// and its headers schema. The parser itself does not validate AsyncAPI 3 examples.
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Parser, fromFile, DiagnosticSeverity } from '@asyncapi/parser';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { loadSchemas, classifyTopic, formatAjvErrors } from './lib/contract.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const target = path.resolve(process.argv[2] ?? path.join(here, '..', '..', 'docs', 'mqtt.asyncapi.yaml'));
const parserVersion = createRequire(import.meta.url)('@asyncapi/parser/package.json').version;

// The parser's own http(s) readers cannot be removed and a reader that throws only passes the
// turn to them, so this one answers first with text that is not JSON or YAML: the reference then
// fails to resolve without any request being made. remoteRefs() below names the culprit.
const noNetwork = () => '{ remote $ref blocked by validate-asyncapi.mjs';
const parser = new Parser({
  __unstable: {
    resolver: {
      resolvers: [
        { schema: 'http', order: 1, read: noNetwork },
        { schema: 'https', order: 1, read: noNetwork },
      ],
    },
  },
});

const severityName = {
  [DiagnosticSeverity.Error]: 'error',
  [DiagnosticSeverity.Warning]: 'warning',
  [DiagnosticSeverity.Information]: 'info',
  [DiagnosticSeverity.Hint]: 'hint',
};

function where(d) {
  const file = d.source ? path.relative(process.cwd(), d.source) : path.relative(process.cwd(), target);
  const line = d.range?.start ? `:${d.range.start.line + 1}:${d.range.start.character + 1}` : '';
  const at = d.path?.length ? ` at ${d.path.join('.')}` : '';
  return `${file}${line}${at}`;
}

async function main() {
  try {
    await readFile(target);
  } catch (e) {
    console.error(`asyncapi: cannot read ${target}: ${e.message}`);
    return 1;
  }

  const remote = remoteRefs(target);
  if (remote.length > 0) {
    for (const r of remote) console.error(`asyncapi: error: remote $ref not allowed (the contract must resolve offline): ${r}`);
    return 1;
  }

  const { document, diagnostics } = await fromFile(parser, target).parse();
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  for (const d of diagnostics) {
    if (d.severity > DiagnosticSeverity.Warning) continue; // info and hints are noise here
    const stream = d.severity === DiagnosticSeverity.Error ? console.error : console.warn;
    stream(`asyncapi: ${severityName[d.severity]} ${d.code}: ${d.message} (${where(d)})`);
  }
  if (errors.length > 0 || !document) {
    console.error(`asyncapi: INVALID, ${errors.length} error(s) in ${path.relative(process.cwd(), target)} (parser ${parserVersion})`);
    return 1;
  }

  const schemaDir = path.join(path.dirname(target), 'schemas');
  let schemas;
  try {
    schemas = loadSchemas(schemaDir);
  } catch (e) {
    console.error(`asyncapi: error: schemas in ${schemaDir}: ${e.message}`);
    return 1;
  }
  const problems = crossCheck(document, schemas);
  for (const p of problems) console.error(`asyncapi: error: ${p}`);
  if (problems.length > 0) {
    console.error(`asyncapi: INVALID, ${problems.length} error(s) in ${path.relative(process.cwd(), target)} against its schemas`);
    return 1;
  }

  const channels = document.channels().length;
  const operations = document.operations().length;
  const messages = document.components().messages().length;
  console.log(
    `asyncapi: ${path.relative(process.cwd(), target)}: AsyncAPI ${document.version()}, ${messages} messages,` +
      ` ${schemas.files.length} schema files, checked with @asyncapi/parser ${parserVersion}`,
  );
  console.log(`asyncapi: valid, ${channels} channels, ${operations} operations`);
  return 0;
}

/** Every http(s) $ref in the document and in the schema files next to it, as "file: uri". */
function remoteRefs(file) {
  const dir = path.join(path.dirname(file), 'schemas');
  let files = [file];
  try {
    files = files.concat(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f)));
  } catch {
    // no schema directory: the parser reports the dangling $refs
  }
  const found = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/["']?\$ref["']?\s*:\s*["']?(https?:\/\/[^"'\s,}]+)/g)) {
      found.push(`${path.relative(process.cwd(), f)}: ${m[1]}`);
    }
  }
  return found;
}

/** Checks the parsed document against docs/schemas and the topic map of validate-messages. */
function crossCheck(document, schemas) {
  const problems = [];
  // Header schemas are inline AsyncAPI schemas (the resolved copies carry x-parser-* keys).
  const headerAjv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(headerAjv);
  const sample = { site: 'site-a', gateway: 'gw-1', point: 'panic-lobby' };

  for (const channel of document.channels().all()) {
    const address = channel.address() ?? '';
    const topic = address.replace(/\{(\w+)\}/g, (_, name) => sample[name] ?? `{${name}}`);
    const t = classifyTopic(topic);
    if (!t) {
      problems.push(`channel ${channel.id()}: address ${address} is not a topic validate-messages knows`);
      continue;
    }
    for (const message of channel.messages().all()) {
      const payloadId = message.payload()?.json()?.$id;
      if (payloadId !== t.schema) {
        problems.push(`channel ${channel.id()} message ${message.id()}: payload is ${payloadId ?? 'an inline schema'}, but ${t.kind} topics are validated with ${t.schema}`);
      }
    }
    for (const op of channel.operations().all()) {
      const mqtt = op.bindings().get('mqtt')?.value() ?? {};
      if (mqtt.qos !== 1) problems.push(`operation ${op.id()}: mqtt binding qos is ${mqtt.qos}, the contract is QoS 1`);
      if (op.action() === 'send' && mqtt.retain !== t.retained) {
        problems.push(`operation ${op.id()}: mqtt binding retain is ${mqtt.retain}, ${t.kind} is ${t.retained ? '' : 'not '}retained`);
      }
    }
  }

  for (const message of document.components().messages().all()) {
    const payloadId = message.payload()?.json()?.$id;
    if (!schemas.files.includes(payloadId)) {
      problems.push(`message ${message.id()}: payload must $ref one of docs/schemas/*.schema.json (got ${payloadId ?? 'an inline schema'})`);
      continue;
    }
    const validatePayload = schemas.validator(payloadId);
    const headers = message.headers()?.json();
    const validateHeaders = headers ? headerAjv.compile(headers) : null;
    message.examples().all().forEach((example, i) => {
      const name = `message ${message.id()} example ${example.name() ?? i}`;
      if (example.hasPayload() && !validatePayload(example.payload())) {
        for (const e of formatAjvErrors(validatePayload.errors)) problems.push(`${name}: ${payloadId}: ${e}`);
      }
      if (example.hasHeaders() && validateHeaders && !validateHeaders(example.headers())) {
        for (const e of formatAjvErrors(validateHeaders.errors)) problems.push(`${name}: headers: ${e}`);
      }
    });
  }
  return problems;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`asyncapi: parser failed: ${e?.stack ?? e}`);
    process.exit(1);
  },
);
