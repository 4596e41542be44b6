import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinRegistry } from '../../../src/components.js';
import { SelfTelemetry } from '../../../src/core/telemetry.js';
import { agentGroupConfigSchema } from '../../../src/extensions/agent_group/config.js';
import { AgentGroupExtension } from '../../../src/extensions/agent_group/extension.js';
import { zookeeperReceiverFactory } from '../../../src/receivers/zookeeper/factory.js';
import { LogRecorder } from '../../internal/targets/recorder.js';
import { freePort } from '../../harness/ports.js';
import { testSettings } from '../../harness/settings.js';
import { VirtualClock } from '../../harness/virtual-time.js';

const problems = (input: unknown) => {
  const parsed = agentGroupConfigSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('agent_group config', () => {
  it('is registered, has defaults, and refuses bad paths and member ids', () => {
    assert.equal(builtinRegistry().get('extension', 'agent_group')?.type, 'agent_group');
    assert.deepEqual(problems({}), []);
    assert.match(problems({ path: 'zkotel' }).join(), /absolute znode path/);
    assert.match(problems({ path: '/zkotel/' }).join(), /trailing/);
    assert.match(problems({ member_id: 'a/b' }).join(), /member id/);
    assert.match(problems({ endpoints: [] }).join(), /at least one/);
    assert.match(problems({ session_timeout: '1s' }).join(), /session_timeout|2000|least/);
  });
});

describe('agent_group extension', () => {
  it('never reaching the coordination ensemble: owns every target after session_timeout (virtual time), and says so', async () => {
    const logs = new LogRecorder();
    const telemetry = new SelfTelemetry();
    const clock = new VirtualClock();
    const config = agentGroupConfigSchema.parse({ endpoints: [`127.0.0.1:${await freePort()}`], session_timeout: '2s', member_id: 'lonely' });
    const extension = new AgentGroupExtension({ ...testSettings('agent_group', logs.logger, telemetry), scheduler: clock.scheduler }, config);
    await extension.start();
    try {
      let assigned: { owns(key: string): boolean } | undefined;
      const subscription = extension.assignment.subscribe((assignment) => (assigned = assignment));
      await clock.advance(1999);
      assert.equal(assigned, undefined, 'no assignment before session_timeout');
      await clock.advance(1);
      subscription.unsubscribe();
      assert.ok(assigned && ['orders', 'billing', 'zk-1:2181'].every((key) => assigned!.owns(key)), 'alone, it owns everything');
      await logs.until(/probing every target/);
      const connected = telemetry.snapshot().samples.find((s) => s.metric.name === 'zkotel.agent_group.connected');
      assert.equal(connected?.value, 0);
    } finally {
      await extension.shutdown();
      await extension.shutdown();
    }
  });

  it('a receiver naming no running agent_group fails at creation with a clear message', () => {
    const config = zookeeperReceiverFactory.configSchema.parse({ endpoint: 'a:1', agent_group: 'agent_group/missing' });
    assert.throws(
      () => zookeeperReceiverFactory.createReceiver({ ...testSettings('zookeeper'), extension: () => undefined }, config),
      /agent_group: "agent_group\/missing" is not a running agent_group extension/,
    );
  });
});
