/**
 * Every attribute the zookeeper receiver sets on its samples besides the target's identity, as its factory
 * declares it: discovery refuses target labels that would be exported like one of these.
 * test/receivers/attributes.test.ts checks it against what the receiver makes of real replies.
 */
import { OTEL_MNTR_METRICS, SUMMARY_SET_FAMILIES } from './catalog.js';
import { CONF_ATTRIBUTES, ENVI_ATTRIBUTES, MEMBERSHIP_VERSION_ATTRIBUTE } from './parse-optional-words.js';

export const ZOOKEEPER_RECEIVER_ATTRIBUTES: readonly string[] = Object.freeze([
  ...new Set([
    ...Object.values(OTEL_MNTR_METRICS).flatMap((spec) => Object.keys(spec.attributes ?? {})),
    ...Object.values(SUMMARY_SET_FAMILIES),
    ...Object.values(ENVI_ATTRIBUTES),
    ...Object.values(CONF_ATTRIBUTES),
    MEMBERSHIP_VERSION_ATTRIBUTE,
    // zookeeper.server.state, zookeeper.peer.state and zookeeper.followers{state=unsynced}
    'state',
    // zookeeper.build.info, and zookeeper.<key>.info of an mntr string key the catalog does not know
    'version',
    'value',
    // zookeeper.probe.failure
    'command',
    'reason',
    // cons, per client address and per connection
    'client_address',
    'client_port',
    'session_id',
  ]),
]);
