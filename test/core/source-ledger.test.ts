import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Exporter } from '../../src/core/component.js';
import { SourceLedger } from '../../src/core/source-ledger.js';

const exporter = (): Exporter => ({ start: async () => {}, consume: () => {}, forget: () => {}, shutdown: async () => {} });
const held = (ledger: SourceLedger) => ledger.takeStale().map(({ pipeline, source }) => `${pipeline}|${source}`);

describe('SourceLedger', () => {
  it('nothing is stale before a reload, and only what was not recorded again after one', () => {
    const ledger = new SourceLedger();
    const a = exporter();
    ledger.record(a, 'metrics', 'x');
    ledger.record(a, 'metrics', 'y');
    assert.equal(ledger.awaitingRound, false);
    assert.deepEqual(held(ledger), []);
    ledger.nextGeneration([a]);
    assert.equal(ledger.awaitingRound, true);
    ledger.record(a, 'metrics', 'y');
    assert.deepEqual(held(ledger), ['metrics|x']);
    assert.equal(ledger.awaitingRound, false);
  });

  it('a forgotten source and the sources of an exporter not kept are never stale', () => {
    const ledger = new SourceLedger();
    const [kept, retired] = [exporter(), exporter()];
    ledger.record(kept, 'metrics', 'x');
    ledger.record(kept, 'other', 'x');
    ledger.record(retired, 'metrics', 'z');
    ledger.forgot(kept, 'metrics', 'x');
    assert.equal(ledger.isHeld('metrics', 'x'), false);
    assert.equal(ledger.isHeld('other', 'x'), true);
    ledger.nextGeneration([kept]);
    assert.equal(ledger.isHeld('metrics', 'z'), false, 'an exporter not kept holds nothing');
    assert.deepEqual(held(ledger), ['other|x']);
  });
});
