/** Every attribute the zookeeper_session receiver sets on its samples besides the target's identity (see its factory). */
export const SESSION_RECEIVER_ATTRIBUTES: readonly string[] = Object.freeze([
  // zookeeper.client.operation.duration and .errors
  'operation',
  // zookeeper.client.operation.errors
  'code',
  // zookeeper.client.replication.lag: the server whose write was seen
  'source',
]);
