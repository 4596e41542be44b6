/** Debian's chromium driven by playwright-core: no browser download, no network beyond loopback. */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_BINARY = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_BINARY)) throw new Error(`${CHROMIUM_BINARY} is missing: run bash scripts/setup.sh`);
  return chromium.launch({
    executablePath: CHROMIUM_BINARY,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'],
  });
}

/** Whether a URL the page requested stays on this machine. */
export function isLoopback(url: string): boolean {
  if (url.startsWith('data:') || url.startsWith('about:')) return true;
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}
