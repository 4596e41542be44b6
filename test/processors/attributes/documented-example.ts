/** The attributes processor config shown in its README section (the Collector's example, adapted). */
export const DOCUMENTED_EXAMPLE = {
  include: { match_type: 'strict', metric_names: ['zookeeper.up'] },
  exclude: { match_type: 'regexp', metric_names: ['zookeeper\\.probe\\..*'] },
  actions: [
    { key: 'env', action: 'insert', value: 'prod' },
    { key: 'zk.cluster', action: 'update', value: 'main' },
    { key: 'dc', action: 'upsert', value: 'eu-1' },
    { key: 'zk.cluster', action: 'upsert', from_attribute: 'other' },
    { key: 'secret', action: 'delete' },
    { pattern: '^tmp_.*', action: 'delete' },
    { key: 'zk.endpoint', action: 'hash' },
    { key: 'zk.endpoint', action: 'extract', pattern: '^(?P<zk_host>[^:]+):(?P<zk_port>\\d+)$' },
    { key: 'port', action: 'convert', converted_type: 'int' },
  ],
};
