import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { headerLines } from './smtp-sink';

/**
 * Waits until the embedded file transport has written `count` messages to `address` into
 * `mailDir`, and returns their raw text, oldest file name first.
 */
export async function waitForEml(
  mailDir: string,
  address: string,
  count: number,
  timeoutMs: number,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let files: string[] = [];
    try {
      files = readdirSync(mailDir).filter((f) => f.endsWith('.eml'));
    } catch {
      // not created yet
    }
    const raws = files
      .sort()
      .map((f) => readFileSync(join(mailDir, f), 'utf8'))
      .filter((raw) => headerLines(raw, 'To').some((to) => to.includes(address)));
    if (raws.length >= count) {
      return raws;
    }
    if (Date.now() > deadline) {
      throw new Error(`expected ${count} .eml files to ${address}, found ${raws.length}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
