#!/usr/bin/env node
// Test helper for self-test.sh: publishes `mosquitto_sub -v` example lines to a broker with
// mosquitto_pub, setting the MQTT 5 properties the contract requires (content type, user
// properties `seq` and `session`, response topic and correlation data for commands) and the
// retain flag of retained topics. Prints the number of messages published.
//
//   node test/publish-examples.mjs <port> file.txt [...]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { classifyTopic } from '../lib/contract.mjs';

const [port, ...files] = process.argv.slice(2);
if (!port || files.length === 0) {
  console.error('usage: publish-examples.mjs <port> file.txt [...]');
  process.exit(2);
}

let count = 0;
for (const file of files) {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#') || line.startsWith('{')) continue;
    const space = line.indexOf(' ');
    const topic = line.slice(0, space);
    const payload = line.slice(space + 1);
    const t = classifyTopic(topic);
    if (!t) throw new Error(`${file}: not a contract topic: ${topic}`);
    const args = ['-h', '127.0.0.1', '-p', port, '-V', 'mqttv5', '-q', '1', '-t', topic];
    const prop = (name, ...value) => args.push('-D', 'publish', name, ...value);
    if (t.retained) args.push('-r');
    if (payload === '(null)') {
      // A retained state deleted, as the gateway deletes a removed point's: empty, no properties.
      execFileSync('mosquitto_pub', [...args, '-n'], { stdio: ['ignore', 'inherit', 'inherit'] });
      count++;
      continue;
    }
    args.push('-m', payload);
    prop('payload-format-indicator', '1');
    if (t.json) prop('content-type', 'application/json');
    if (t.kind === 'availability') prop('user-property', 'session', '1');
    if (t.kind === 'events') prop('user-property', 'seq', String(JSON.parse(payload).seq));
    if (t.kind === 'commands') {
      prop('response-topic', `edgeguard/v1/${t.site}/${t.gateway}/command-results`);
      prop('correlation-data', `req-${count}`);
      prop('message-expiry-interval', '30');
    }
    execFileSync('mosquitto_pub', args, { stdio: ['ignore', 'inherit', 'inherit'] });
    count++;
  }
}
console.log(count);
