import { Inject, Injectable, Logger } from '@nestjs/common';
import { inTransaction } from '../database/transactions';
import { DataSource, EntityManager } from 'typeorm';
import { RateLimiter, RateRule } from '../common/rate-limit';
import { hashPersonal, hashToken, newToken } from '../common/tokens';
import { emailHash } from '../comments/post-comment.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { canonicalEmail, emailKey } from '../mail/email-address';
import { MailOutbox } from '../mail/mail-outbox.service';
import { PeopleService, PersonExport } from './people.service';
import { rowsOf } from '../database/updated-rows';

export type DataRequestKind = 'export' | 'erase';

export const DATA_REQUEST_HOURS = 24;
const PER_IP: RateRule = {
  name: 'data-request:ip',
  limit: 10,
  windowSeconds: 3600,
  per: 'network',
};
const PER_ADDRESS: RateRule = {
  name: 'data-request:address',
  limit: 3,
  windowSeconds: 86_400,
  per: 'mailbox',
};

export type TokenState = 'valid' | 'used' | 'unknown';

interface SpentRequest {
  id: string;
  kind: DataRequestKind;
  email: string | null;
  email_hash: string;
}

/**
 * Readers asking for their own data or its erasure. Asking sends a single-use link to the address
 * (the same answer whatever the address holds, so nobody learns whether it is known here); the
 * link's page acts only on a POST. Every step is written to the audit trail (moderation_events,
 * actor `reader`), identified by the request id and the keyed hash of the address, never the
 * address itself.
 */
@Injectable()
export class DataRequestsService {
  private readonly logger = new Logger('DataRequests');

  constructor(
    private readonly dataSource: DataSource,
    private readonly people: PeopleService,
    private readonly mail: MailOutbox,
    private readonly rateLimiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async request(kind: DataRequestKind, rawEmail: string, ip: string | null): Promise<void> {
    const email = canonicalEmail(rawEmail);
    await this.rateLimiter.consume([
      { rule: PER_IP, subject: ip ?? 'unknown' },
      { rule: PER_ADDRESS, subject: email },
    ]);
    const token = newToken('dr_');
    const hash = emailHash(email, this.config.hashSecret);
    await inTransaction(this.dataSource, async (manager) => {
      const rows: { id: string }[] = await manager.query(
        `INSERT INTO data_requests (kind, email, email_hash, token_hash, expires_at, requested_ip_hash)
         VALUES ($1, $2, $3, $4, now() + $5 * interval '1 hour', $6) RETURNING id`,
        [
          kind,
          emailKey(email),
          hash,
          hashToken(token),
          DATA_REQUEST_HOURS,
          ip ? hashPersonal(`ip:${ip}`, this.config.hashSecret) : null,
        ],
      );
      const id = rows[0].id;
      await this.audit(manager, `data.${kind}.requested`, { requestId: id, emailHash: hash });
      await this.mail.enqueue(manager, {
        key: `data-request:${id}`,
        stream: 'transactional',
        template: 'data-request',
        to: email,
        data: {
          kind,
          isExport: kind === 'export',
          email,
          actionUrl: `${this.config.publicUrl}/my-data/confirm?token=${token}`,
          expiresInHours: DATA_REQUEST_HOURS,
        },
      });
    });
  }

  /** What the link's page may show before anything is posted; changes nothing. */
  async tokenState(token: string): Promise<{ state: TokenState; kind?: DataRequestKind }> {
    const rows: { kind: DataRequestKind; used_at: Date | null; expires_at: Date }[] =
      await this.dataSource.query(
        'SELECT kind, used_at, expires_at FROM data_requests WHERE token_hash = $1',
        [hashToken(token)],
      );
    const row = rows[0];
    if (!row || (row.used_at === null && row.expires_at.getTime() < Date.now())) {
      return { state: 'unknown' };
    }
    return { state: row.used_at ? 'used' : 'valid', kind: row.kind };
  }

  /**
   * Uses the token (once: the update that spends it is the check) and acts: the export is
   * returned, the erasure done. Null when the token is unknown, used or expired.
   */
  async act(
    token: string,
  ): Promise<{ kind: 'export'; data: PersonExport } | { kind: 'erase' } | null> {
    const request = await inTransaction(this.dataSource, async (manager) => {
      // The subquery in RETURNING reads the row as it was before this statement cleared it.
      const [row] = rowsOf<SpentRequest>(
        await manager.query(
          `UPDATE data_requests r SET used_at = now(), email = NULL
            WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now()
          RETURNING r.id, r.kind, r.email_hash,
                    (SELECT d.email FROM data_requests d WHERE d.id = r.id) AS email`,
          [hashToken(token)],
        ),
      );
      if (!row?.email) {
        return null;
      }
      await this.audit(manager, `data.${row.kind}`, {
        requestId: row.id,
        emailHash: row.email_hash,
      });
      if (row.kind === 'erase') {
        await this.people.erase(row.email, manager);
        // Other requests of the erased address that wait forget it too.
        await manager.query(
          'UPDATE data_requests SET email = NULL WHERE email_hash = $1 AND used_at IS NULL',
          [row.email_hash],
        );
      }
      return row;
    });
    if (!request) {
      return null;
    }
    if (request.kind === 'erase') {
      this.logger.log(`a reader erased their data (request ${request.id})`);
      return { kind: 'erase' };
    }
    return { kind: 'export', data: await this.people.export(request.email!) };
  }

  private async audit(
    manager: EntityManager,
    action: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO moderation_events (actor, action, details) VALUES ('reader', $1, $2)`,
      [action, JSON.stringify(details)],
    );
  }
}
