import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createLogger } from '../../src/core/logger.js';

it('logs JSON lines by default and readable lines for a terminal, at or above the level', () => {
  const lines: string[] = [];
  const json = createLogger('info', (line) => lines.push(line)).child({ component: 'zookeeper' });
  json.debug('hidden');
  json.warn('endpoint down', { endpoint: '127.0.0.1:2181', error: new Error('refused') });
  assert.equal(lines.length, 1);
  assert.deepEqual(
    { ...JSON.parse(lines[0]!), time: 'T' },
    { time: 'T', level: 'warn', msg: 'endpoint down', component: 'zookeeper', endpoint: '127.0.0.1:2181', error: 'refused' },
  );

  const text = createLogger('debug', (line) => lines.push(line), {}, 'text').child({ component: 'zookeeper' });
  text.info('endpoint up', { endpoint: '127.0.0.1:2181', note: 'two words' });
  assert.match(lines[1]!, /^\d\d:\d\d:\d\d\.\d{3} INFO  endpoint up component=zookeeper endpoint=127\.0\.0\.1:2181 note="two words"$/);
});
