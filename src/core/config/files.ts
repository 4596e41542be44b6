import fs from 'node:fs';
import { z } from 'zod';

/**
 * A path checked at config time to name a regular file this process can read; its content is read later (when
 * a connection or session needs it), so the config never holds secrets or certificates.
 */
export const readableFile = z
  .string()
  .min(1, 'must name a file')
  .superRefine((file, ctx) => {
    try {
      fs.accessSync(file, fs.constants.R_OK);
      if (!fs.statSync(file).isFile()) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(file)} is not a regular file` });
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `cannot read ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
    }
  });

/** `no such file`, `permission denied`, … for an error from `fs`. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}
