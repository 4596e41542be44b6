import os from 'node:os';
import { z } from 'zod';
import { configObject, duration, hostPort } from '../../core/config/schema.js';
import { clientTlsConfigSchema } from '../../internal/tls/client-tls.js';
import { authConfigSchema } from '../../receivers/zookeeper_session/config.js';

/** ZooKeeper node names may not contain `/` and are not `.` or `..`. */
const memberId = z
  .string()
  .min(1)
  .refine((id) => !id.includes('/') && id !== '.' && id !== '..' && id !== 'zookeeper', 'a member id cannot contain "/" or be ".", ".." or "zookeeper"');

export const agentGroupConfigSchema = configObject({
  /** The coordination ensemble's client ports (any ZooKeeper the agents reach; not necessarily one they monitor). */
  endpoints: z.array(hostPort()).min(1, 'list at least one host:port of the coordination ensemble').default(['127.0.0.1:2181']),
  /** The parent znode of the members' ephemeral znodes; created when missing. */
  path: z
    .string()
    .regex(/^\/[^/]/, 'an absolute znode path, e.g. /zkotel/agents')
    .refine((text) => !text.endsWith('/') && !text.includes('//'), 'no trailing or double "/"')
    .default('/zkotel/agents'),
  /** How long the ensemble waits for a silent agent before its session expires and its clusters move. */
  session_timeout: duration({ min: 2000 }).prefault('10s'),
  /** This agent's name in the group: stable across restarts (a pod name) so it gets the same clusters back. */
  member_id: memberId.default(() => process.env.HOSTNAME || os.hostname()),
  tls: clientTlsConfigSchema.optional(),
  auth: authConfigSchema.optional(),
}).prefault({});

export type AgentGroupConfig = z.output<typeof agentGroupConfigSchema>;
