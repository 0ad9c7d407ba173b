import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is PostgreSQL inside this process, with no postmaster to keep a second process out of
 * its files: two processes on one directory (the app and `npm run admin`, say) would corrupt it.
 * A pid file next to the directory keeps them apart; a stale one (its process gone) is taken over.
 */
export function lockEmbeddedDatabase(dataDir: string): void {
  const file = `${dataDir}.lock`;
  if (held.has(file)) {
    return;
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      held.add(file);
      process.once('exit', () => {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (owner === process.pid) {
        held.add(file);
        return;
      }
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
        throw new Error(
          `the embedded database in ${dataDir} is in use by process ${owner}; stop it first (PGlite serves one process)`,
          { cause: error },
        );
      }
      unlinkSync(file);
    }
  }
  throw new Error(`could not lock the embedded database in ${dataDir}`);
}
