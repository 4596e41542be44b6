import { z } from 'zod';
import { configObject } from '../../core/config/schema.js';

/** `discovery:` of a ZooKeeper receiver: where to find targets beyond its static `endpoints`. */
export const discoveryConfigSchema = configObject({});

export type DiscoveryConfig = z.output<typeof discoveryConfigSchema>;
