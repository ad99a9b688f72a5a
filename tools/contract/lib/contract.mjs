// Shared by the contract tools: loads docs/schemas/*.schema.json into one Ajv (JSON Schema draft
// 2020-12, with formats) and maps an MQTT topic to the schema its payload must match.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..', '..');
export const defaultSchemaDir = path.join(repoRoot, 'docs', 'schemas');

/** Loads every *.schema.json of `schemaDir`; schemas reference each other by file name ($id). */
export function loadSchemas(schemaDir = defaultSchemaDir) {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: true });
  addFormats(ajv);
  const files = readdirSync(schemaDir).filter((f) => f.endsWith('.schema.json')).sort();
  if (files.length === 0) throw new Error(`no *.schema.json in ${schemaDir}`);
  for (const file of files) {
    let schema;
    try {
      schema = JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8'));
    } catch (e) {
      throw new Error(`${file}: not valid JSON: ${e.message}`);
    }
    if (schema.$id !== file) throw new Error(`${file}: $id must be "${file}" (got ${JSON.stringify(schema.$id)})`);
    if (schema.$schema !== 'https://json-schema.org/draft/2020-12/schema') {
      throw new Error(`${file}: $schema must be https://json-schema.org/draft/2020-12/schema`);
    }
    ajv.addSchema(schema);
  }
  const cache = new Map();
  /** The compiled validator of one schema file, e.g. validator('event.schema.json'). */
  const validator = (file) => {
    if (!cache.has(file)) {
      const fn = ajv.getSchema(file);
      if (!fn) throw new Error(`unknown schema ${file}`);
      cache.set(file, fn);
    }
    return cache.get(file);
  };
  // Compile everything now so a broken schema or dangling $ref fails at load, not mid-stream.
  for (const file of files) validator(file);
  return { ajv, files, validator };
}

const ID = '[a-z0-9_-]{1,64}';
const TOPIC = new RegExp(
  `^edgeguard/v1/(${ID})/(${ID})/(availability|events|state/lockdown|state/delivery|state/points/(${ID})|commands|command-results)$`,
);

/**
 * What the contract says about a topic: its kind, schema file, whether the payload is JSON, and the
 * ids in its levels. Null when the topic is not part of the contract.
 */
export function classifyTopic(topic) {
  const m = TOPIC.exec(topic);
  if (!m) return null;
  const [, site, gateway, rest, point] = m;
  const kind = rest.startsWith('state/points/') ? 'state/points' : rest;
  const info = {
    availability: { schema: 'availability.schema.json', json: false, direction: 'gateway', retained: true },
    events: { schema: 'event.schema.json', json: true, direction: 'gateway', retained: false },
    'state/lockdown': { schema: 'state-lockdown.schema.json', json: true, direction: 'gateway', retained: true },
    'state/delivery': { schema: 'state-delivery.schema.json', json: true, direction: 'gateway', retained: true },
    'state/points': { schema: 'state-point.schema.json', json: true, direction: 'gateway', retained: true },
    commands: { schema: 'command.schema.json', json: true, direction: 'office', retained: false },
    'command-results': { schema: 'command-result.schema.json', json: true, direction: 'gateway', retained: false },
  }[kind];
  return { kind, site, gateway, point, ...info };
}

/** One line per Ajv error: "<instancePath> <message> <params>". */
export function formatAjvErrors(errors) {
  return (errors ?? [])
    .filter((e) => e.keyword !== 'if') // "must match then schema" only repeats the real error below it
    .map((e) => {
      const where = e.instancePath === '' ? '(payload)' : e.instancePath;
      // These keywords' messages already name what was expected.
      const selfExplaining = ['type', 'format', 'pattern', 'required', 'const', 'minimum', 'maximum', 'minLength', 'maxLength'];
      const params = selfExplaining.includes(e.keyword)
        ? ''
        : Object.entries(e.params ?? {})
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(' ');
      return `${where} ${e.message}${params ? ` [${params}]` : ''} (${e.schemaPath})`;
    });
}
