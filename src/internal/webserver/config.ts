import { z } from 'zod';
import { formatProblem } from '../../core/config/errors.js';
import { checkWebConfig } from './web-config.js';

/**
 * The `web_config_file` option of every zkotel HTTP endpoint (exporter-toolkit's web config: TLS, basic auth,
 * headers), relative to the working directory. It is read and checked while the config is validated, so
 * `zkotel validate` reports its problems as `FILE:LINE:COL: path: message` of that file. Empty: none (so
 * `${env:WEB_CONFIG}` may be left unset).
 */
export function webConfigFileOption() {
  return z
    .string()
    .superRefine((file, ctx) => {
      if (file === '') return;
      for (const problem of checkWebConfig(file).problems ?? []) ctx.addIssue({ code: 'custom', message: formatProblem(problem) });
    })
    .optional();
}
