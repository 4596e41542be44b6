import { Observable, of } from 'rxjs';
import type { Logger } from '../../core/logger.js';
import type { DiscoveryConfig } from './config.js';
import { staticTargets, type Target } from './target.js';

export interface DiscoveryContext {
  readonly staticEndpoints: readonly string[];
  readonly config: DiscoveryConfig | undefined;
  readonly logger: Logger;
}

/** The receiver's target list over time: a new list whenever membership changes. */
export function discoverTargets(context: DiscoveryContext): Observable<readonly Target[]> {
  return of(staticTargets(context.staticEndpoints));
}
