import { existsSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { describe } from 'vitest';
import { TestApp } from './app';

/** Debian's chromium, never a downloaded browser. */
export const chromiumPath =
  process.env.CHROMIUM_PATH ??
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ??
  null;

export const browserSkipReason = chromiumPath
  ? null
  : 'browser tests skipped: no chromium at /usr/bin/chromium (apt-get install chromium)';

if (browserSkipReason) {
  process.stderr.write(`${browserSkipReason}\n`);
}

/** `describe` that reports its tests as skipped, with the reason above, where chromium is absent. */
export const describeBrowser = (name: string, body: () => void) =>
  describe.skipIf(!chromiumPath)(chromiumPath ? name : `${name} (skipped: no chromium)`, body);

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath!,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Serves the test app on a real loopback port (the browser needs one); returns its base URL. */
export async function listen(t: TestApp): Promise<string> {
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.http.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/** Screenshots are kept as test artifacts under test-artifacts/ (git-ignored). */
export function artifactPath(name: string): string {
  const dir = join(__dirname, '..', '..', 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
