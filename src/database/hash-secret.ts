import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { emailHash } from '../comments/post-comment.service';
import { inTransaction } from './transactions';

/** The secret of the keyed hashes of the days when HASH_SECRET had a public default. */
const FORMER_DEFAULT = 'marginalia';
const REHASH_BATCH = 1000;

/**
 * HASH_SECRET, or else one generated at first start and kept in token_secrets (as the unsubscribe
 * key is), so that every instance hashes alike. Instances starting at once race on the primary
 * key: one insert wins, every instance reads the winner. Fills `config.hashSecret` before any
 * request is served; returns what happened, for the start-up log.
 */
export async function loadHashSecret(
  dataSource: DataSource,
  config: AppConfig,
): Promise<'configured' | 'stored' | 'generated'> {
  if (config.hashSecret) {
    return 'configured';
  }
  return inTransaction(dataSource, async (manager) => {
    const inserted: { secret: string }[] = await manager.query(
      `INSERT INTO token_secrets (purpose, secret) VALUES ('hash', $1)
       ON CONFLICT (purpose) DO NOTHING RETURNING secret`,
      [randomBytes(32).toString('base64url')],
    );
    if (inserted.length > 0) {
      config.hashSecret = inserted[0].secret;
      // A database that ran with the former public default keeps working: author lookups
      // (first-comment trust, data-rights requests) are recomputed from the stored addresses.
      await rehashAuthorEmails(manager, config.hashSecret);
      return 'generated';
    }
    const rows: { secret: string }[] = await manager.query(
      "SELECT secret FROM token_secrets WHERE purpose = 'hash'",
    );
    config.hashSecret = rows[0].secret;
    return 'stored';
  });
}

async function rehashAuthorEmails(manager: EntityManager, secret: string): Promise<void> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows: { id: string; author_email: string; author_email_hash: string }[] =
      await manager.query(
        `SELECT id, author_email, author_email_hash FROM comments WHERE id > $1
         ORDER BY id LIMIT ${REHASH_BATCH}`,
        [after],
      );
    const stale = rows.filter(
      (row) => row.author_email_hash === emailHash(row.author_email, FORMER_DEFAULT),
    );
    if (stale.length > 0) {
      await manager.query(
        `UPDATE comments c SET author_email_hash = u.hash
         FROM unnest($1::uuid[], $2::text[]) AS u(id, hash) WHERE c.id = u.id`,
        [stale.map((row) => row.id), stale.map((row) => emailHash(row.author_email, secret))],
      );
    }
    if (rows.length < REHASH_BATCH) {
      return;
    }
    after = rows[rows.length - 1].id;
  }
}
