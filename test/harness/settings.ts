import type { CreateSettings } from '../../src/core/component.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { SelfTelemetry } from '../../src/core/telemetry.js';

/** What the service hands a component, for tests that create one directly. */
export function testSettings(id: string, logger: Logger = silentLogger, telemetry = new SelfTelemetry()): CreateSettings {
  return { id, logger, telemetry };
}
