/**
 * PEM content checks, so a certificate or key file that is not PEM (a DER file, a PKCS12 keystore, the wrong file)
 * is reported when the config is checked, not as a failure of every connection later.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readableFile } from './files.js';

export interface PemLabel {
  readonly name: string;
  readonly pattern: RegExp;
  readonly parse: (block: string) => void;
}

export const CERTIFICATE: PemLabel = { name: 'CERTIFICATE', pattern: /^CERTIFICATE$/, parse: (block) => void new X509Certificate(block) };
export const PRIVATE_KEY: PemLabel = { name: 'PRIVATE KEY', pattern: /PRIVATE KEY$/, parse: (block) => void createPrivateKey(block) };

/** What is wrong with `text` as PEM of `label` (at least one block, every block parses), or undefined. */
export function pemProblem(text: string, label: PemLabel): string | undefined {
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)].filter((match) => label.pattern.test(match[1]!));
  if (blocks.length === 0) return `not PEM: no -----BEGIN ${label.name}----- block found`;
  for (const [block] of blocks) {
    try {
      label.parse(block);
    } catch (error) {
      return `invalid PEM ${label.name}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return undefined;
}

/** A readable file holding PEM of `label`. The content is read again when used: this only checks it now. */
export function pemFile(label: PemLabel) {
  return readableFile.superRefine((file, ctx) => {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      return; // readableFile has reported it
    }
    const problem = pemProblem(text, label);
    if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(file)}: ${problem}` });
  });
}
