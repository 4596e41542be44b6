import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Sample } from '../../src/core/batch.js';
import { builtinRegistry } from '../../src/components.js';
import { IDENTITY_ATTRIBUTES, reservedAttributeClash } from '../../src/internal/targets/target.js';
import { zookeeperReceiverFactory } from '../../src/receivers/zookeeper/factory.js';
import { FOUR_LETTER_WORDS } from '../../src/receivers/zookeeper/config.js';
import { ProbeError } from '../../src/receivers/zookeeper/four-letter-word.js';
import { parseMntr } from '../../src/receivers/zookeeper/parse.js';
import { parseConf, parseCons, parseEnvi, parseIsro, parseStat, parseWchs } from '../../src/receivers/zookeeper/parse-optional-words.js';
import { SampleMapper } from '../../src/receivers/zookeeper/samples.js';
import { zookeeperSessionReceiverFactory } from '../../src/receivers/zookeeper_session/factory.js';
import { SessionMetrics } from '../../src/receivers/zookeeper_session/metrics.js';
import { mntrFixtureNames, readFixture, readMntrFixture } from '../harness/fixtures.js';

const IDENTITY = Object.freeze({ 'zk.endpoint': 'zk-1:2181', 'zk.cluster': 'prod' });

/** The attribute names of `samples`, without the identity and the meta (`__*`) attributes the service strips. */
function attributeNames(samples: readonly Sample[]): string[] {
  const names = new Set(samples.flatMap((sample) => Object.keys(sample.attributes)));
  return [...names].filter((name) => !name.startsWith('__') && !IDENTITY_ATTRIBUTES.includes(name)).sort();
}

/** What the zookeeper receiver's mapper makes of every captured reply: each mntr version, every other command, and a failure of each. */
function zookeeperReceiverOutput(): Sample[] {
  const fourLetterWord = (command: string) => readFixture(`4lw/${command}-3.8.0.txt`);
  const samples: Sample[] = [];
  // Every captured mntr, and one with a string key the catalog does not know (later versions add such keys).
  const mntrTexts = [...mntrFixtureNames().map(readMntrFixture), `${readMntrFixture('mntr-3.8.0-leader.txt')}zk_new_string_key\tsomething\n`];
  for (const text of mntrTexts) {
    const mapper = new SampleMapper(IDENTITY);
    samples.push(
      ...mapper.toSamples(
        {
          replies: {
            mntr: parseMntr(text),
            ruok: true,
            srvr: parseStat(fourLetterWord('stat')),
            stat: parseStat(fourLetterWord('stat')),
            isro: parseIsro(fourLetterWord('isro')),
            wchs: parseWchs(fourLetterWord('wchs')),
            envi: parseEnvi(fourLetterWord('envi')),
            conf: parseConf(fourLetterWord('conf')),
            cons: parseCons(fourLetterWord('cons'), undefined, 100),
          },
          failures: [],
          durationMs: 1,
        },
        1,
      ),
    );
  }
  // srvr alone (no mntr): the role and version come from srvr.
  samples.push(...new SampleMapper(IDENTITY).toSamples({ replies: { srvr: parseStat(fourLetterWord('stat')) }, failures: [], durationMs: 1 }, 0));
  const failures = FOUR_LETTER_WORDS.map((command) => ({ command, error: new ProbeError('timeout', `${command}: timeout`) }));
  samples.push(...new SampleMapper(IDENTITY).toSamples({ replies: {}, failures, durationMs: 1 }, 0));
  return samples;
}

/** What the zookeeper_session receiver's metrics hold after a round with lag from another server and an error. */
function sessionReceiverOutput(): Sample[] {
  const metrics = new SessionMetrics(IDENTITY, 0);
  metrics.lag('zk-2:2181', 0.01);
  metrics.error('create', 'CONNECTION_LOSS');
  return metrics.samples();
}

describe('attributes declared by the receiver factories', () => {
  it('zookeeper: exactly the attributes its samples carry', () => {
    assert.deepEqual([...zookeeperReceiverFactory.attributes].sort(), attributeNames(zookeeperReceiverOutput()));
  });

  it('zookeeper_session: exactly the attributes its samples carry', () => {
    assert.deepEqual([...zookeeperSessionReceiverFactory.attributes].sort(), attributeNames(sessionReceiverOutput()));
  });

  it('the registry unions them, and discovery refuses a target label exported like any of them', () => {
    const union = builtinRegistry().receiverAttributes();
    for (const name of attributeNames([...zookeeperReceiverOutput(), ...sessionReceiverOutput()])) {
      assert.ok(union.has(name), name);
      assert.equal(reservedAttributeClash(name.replaceAll('.', '_'), union), name, `a label ${name.replaceAll('.', '_')}`);
    }
    assert.equal(reservedAttributeClash('session_id', union), 'session_id', "cons' per-connection attribute");
    assert.equal(reservedAttributeClash('session_id'), undefined, 'without the receivers, only identity and exposition labels are reserved');
    assert.equal(reservedAttributeClash('zk_endpoint'), 'zk.endpoint');
    assert.equal(reservedAttributeClash('le'), 'le');
    assert.equal(reservedAttributeClash('env', union), undefined);
  });
});
