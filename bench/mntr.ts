/**
 * CPU to turn one real mntr reply (ZooKeeper 3.8.0 leader, ~18 KB) into a batch: an endpoint's MntrParser +
 * SampleMapper, reused as the receiver does: once with the same reply every time (the parser reads it against the
 * remembered layout, the mapper reuses every sample), once alternating with a copy where every integer differs
 * (every sample new: the worst case of a busy server). The same through the full parse (parseMntr: the first reply of
 * an endpoint, or one whose lines changed), and for the AdminServer's /commands/monitor JSON (protocol: admin).
 * Run: node --expose-gc dist/bench/mntr.js
 */
import { MntrParser } from '../src/receivers/zookeeper/mntr-parser.js';
import { parseMntr, type MntrReply } from '../src/receivers/zookeeper/parse.js';
import { adminMntr, readAdminJson } from '../src/receivers/zookeeper/parse-admin.js';
import type { ProbeOutcome } from '../src/receivers/zookeeper/probe.js';
import { SampleMapper } from '../src/receivers/zookeeper/samples.js';
import { fmt, fmtBytes, heapNote, heapPerOp, runSync } from './measure.js';
import { readFixture, readMntrFixture } from '../test/harness/fixtures.js';

const FIXTURE = 'mntr-3.8.0-leader.txt';
const reply = readMntrFixture(FIXTURE);
const IDENTITY = Object.freeze({ 'zk.endpoint': '127.0.0.1:2181' });
const outcomeOf = (mntr: MntrReply): ProbeOutcome => ({ replies: { mntr }, failures: [], durationMs: 1.5 });
const parsed = outcomeOf(parseMntr(reply));
/** The fixture with every integer value one higher (keys unchanged). */
const changed = reply.replace(/\t(\d+)$/gm, (_, digits: string) => `\t${Number(digits) + 1}`);
/** An endpoint as the receiver has it: its mntr parser and its mapper, `replies` answered in turn. */
const endpoint = (parse: (text: string) => MntrReply, ...replies: string[]) => {
  const mapper = new SampleMapper(IDENTITY);
  let probes = 0;
  return () => mapper.toSamples(outcomeOf(parse(replies[probes++ % replies.length]!)), 0);
};
const steadyParser = new MntrParser();
steadyParser.parse(reply);
const mapper = new SampleMapper(IDENTITY);
const monitorJson = readFixture('admin/monitor-leader.json');
const adminOutcomeOf = (body: string): ProbeOutcome => outcomeOf(adminMntr(readAdminJson('mntr', { status: 200, body })));

const cases: { what: string; op: () => unknown }[] = [
  { what: 'parse+map, values unchanged', op: endpoint(new MntrParser().parse, reply) },
  { what: 'parse+map, every value changed', op: endpoint(new MntrParser().parse, reply, changed) },
  { what: 'full parse+map, values unchanged', op: endpoint(parseMntr, reply) },
  { what: 'full parse+map, every value changed', op: endpoint(parseMntr, reply, changed) },
  { what: 'parse only (remembered layout)', op: () => steadyParser.parse(reply) },
  { what: 'full parse only', op: () => parseMntr(reply) },
  { what: 'map only', op: () => mapper.toSamples(parsed, 0) },
];
const adminCases: { what: string; op: () => unknown }[] = [
  { what: 'parse+map', op: () => mapper.toSamples(adminOutcomeOf(monitorJson), 0) },
  { what: 'parse only', op: () => adminOutcomeOf(monitorJson) },
];

const samples = mapper.toSamples(parsed, 0).length;
const label = `3.8.0 leader, ${fmtBytes(Buffer.byteLength(reply))}, ${parsed.replies.mntr!.numbers.size + parsed.replies.mntr!.strings.size} keys, ${samples} samples`;
for (const { what, op } of cases) {
  const timing = runSync(op, { warmup: 2000, minMs: 1000 });
  console.log(
    `mntr ${what} (${label}): ${fmt(timing.cpuUs)} µs CPU/reply, ${fmt(timing.opsPerSec, 0)} replies/s, ` +
      `${fmt(timing.iterations, 0)} iterations; ${heapNote(heapPerOp(op))}`,
  );
}
const adminLabel = `3.8.0 leader, ${fmtBytes(Buffer.byteLength(monitorJson))}`;
for (const { what, op } of adminCases) {
  const timing = runSync(op, { warmup: 2000, minMs: 1000 });
  console.log(`admin monitor ${what} (${adminLabel}): ${fmt(timing.cpuUs)} µs CPU/reply, ${fmt(timing.opsPerSec, 0)} replies/s; ${heapNote(heapPerOp(op))}`);
}
