import { createRequire } from 'node:module';

const packageJson = createRequire(import.meta.url)('../../package.json') as { name: string; version: string };

export const AGENT_NAME = packageJson.name;
export const AGENT_VERSION = packageJson.version;
