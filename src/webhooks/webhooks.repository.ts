import { Injectable } from '@nestjs/common';
import { inTransaction } from '../database/transactions';
import { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '../database/updated-rows';

export interface EndpointRow {
  id: string;
  url: string;
  events: string[];
  secret: string;
  description: string;
  status: 'active' | 'disabled';
  consecutive_failures: number;
  disabled_reason: string | null;
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  payload: unknown;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  last_status_code: number | null;
  delivered_at: Date | null;
  created_at: Date;
}

export interface ClaimedDelivery {
  id: string;
  eventId: string;
  payload: unknown;
  attempts: number;
  endpointId: string;
  url: string;
  secret: string;
}

/** The channel committed deliveries are announced on (PgNotifications hears it). */
export const WEBHOOKS_CHANNEL = 'webhooks';

/** The endpoints and their delivery outbox; each statement names the index it uses. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly dataSource: DataSource) {}

  async create(input: {
    url: string;
    events: string[];
    secret: string;
    description: string;
  }): Promise<EndpointRow> {
    const rows: EndpointRow[] = await this.dataSource.query(
      `INSERT INTO webhook_endpoints (url, events, secret, description)
       VALUES ($1, $2, $3, $4) RETURNING *`,
      [input.url, input.events, input.secret, input.description],
    );
    return rows[0];
  }

  async list(): Promise<EndpointRow[]> {
    return this.dataSource.query('SELECT * FROM webhook_endpoints ORDER BY created_at, id');
  }

  async find(id: string): Promise<EndpointRow | null> {
    const rows: EndpointRow[] = await this.dataSource.query(
      'SELECT * FROM webhook_endpoints WHERE id = $1',
      [id],
    );
    return rows[0] ?? null;
  }

  async update(
    id: string,
    change: {
      url?: string;
      events?: string[];
      description?: string;
      enable?: boolean;
      disable?: boolean;
    },
  ): Promise<EndpointRow | null> {
    const rows = rowsOf<EndpointRow>(
      await this.dataSource.query(
        `UPDATE webhook_endpoints SET
           url = COALESCE($2, url), events = COALESCE($3, events),
           description = COALESCE($4, description),
           status = CASE WHEN $5 THEN 'active' WHEN $6 THEN 'disabled' ELSE status END,
           consecutive_failures = CASE WHEN $5 THEN 0 ELSE consecutive_failures END,
           disabled_reason = CASE WHEN $5 THEN NULL WHEN $6 THEN 'disabled by an admin'
                             ELSE disabled_reason END,
           disabled_at = CASE WHEN $5 THEN NULL WHEN $6 THEN now() ELSE disabled_at END,
           updated_at = now()
         WHERE id = $1 RETURNING *`,
        [
          id,
          change.url ?? null,
          change.events ?? null,
          change.description ?? null,
          change.enable === true,
          change.disable === true,
        ],
      ),
    );
    return rows[0] ?? null;
  }

  async remove(id: string): Promise<boolean> {
    const rows = rowsOf<{ id: string }>(
      await this.dataSource.query('DELETE FROM webhook_endpoints WHERE id = $1 RETURNING id', [id]),
    );
    return rows.length > 0;
  }

  async deliveries(endpointId: string, limit: number): Promise<DeliveryRow[]> {
    // webhook_deliveries_endpoint_idx
    return this.dataSource.query(
      `SELECT * FROM webhook_deliveries WHERE endpoint_id = $1
        ORDER BY created_at DESC, id DESC LIMIT $2`,
      [endpointId, limit],
    );
  }

  /**
   * One delivery per active endpoint that wants this event, in the caller's transaction; the
   * event id is shared by them all and kept by every redelivery. The same statement NOTIFYs the
   * dispatchers, heard once the transaction commits (repeats within one transaction fold into
   * one), so waking them costs the writer no round trip.
   */
  async enqueue(
    manager: EntityManager,
    eventId: string,
    type: string,
    payload: unknown,
  ): Promise<number> {
    const rows: unknown[] = await manager.query(
      `WITH queued AS (
         INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload)
         SELECT e.id, $1, $2, $3::jsonb FROM webhook_endpoints e
          WHERE e.status = 'active' AND $2 = ANY(e.events)
         ON CONFLICT ON CONSTRAINT webhook_deliveries_event_once DO NOTHING
         RETURNING id)
       SELECT id, pg_notify('${WEBHOOKS_CHANNEL}', '') FROM queued`,
      [eventId, type, JSON.stringify(payload)],
    );
    return rows.length;
  }

  /** Wakes the dispatchers: deliveries that were waiting (a re-enabled endpoint's) are due. */
  async wakeDispatchers(): Promise<void> {
    await this.dataSource.query(`SELECT pg_notify('${WEBHOOKS_CHANNEL}', '')`);
  }

  /** Whether any active endpoint wants one of these events (spares building payloads). */
  async anyWants(manager: EntityManager, types: string[]): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM webhook_endpoints WHERE status = 'active' AND events && $1::text[] LIMIT 1`,
      [types],
    );
    return rows.length > 0;
  }

  /** Hands rows of a dispatcher that died (lease over) back to the queue. */
  async reclaimExpired(): Promise<number> {
    // webhook_deliveries_lease_idx
    return rowsOf(
      await this.dataSource.query(
        `UPDATE webhook_deliveries SET status = 'queued', lease_owner = NULL, lease_until = NULL,
                next_attempt_at = now(), updated_at = now()
          WHERE status = 'claimed' AND lease_until < now() RETURNING id`,
      ),
    ).length;
  }

  /**
   * Milliseconds until the next delivery an active endpoint waits for falls due (≤ 0: due now), by
   * the database's clock; null when none waits. webhook_deliveries_due_idx
   */
  async msUntilNextDue(): Promise<number | null> {
    const rows: { ms: string }[] = await this.dataSource.query(
      `SELECT extract(epoch FROM d.next_attempt_at - now()) * 1000 AS ms
         FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.status = 'active'
        WHERE d.status IN ('queued', 'failed')
        ORDER BY d.next_attempt_at
        LIMIT 1`,
    );
    return rows.length === 0 ? null : Number(rows[0].ms);
  }

  /** Leases due deliveries of active endpoints; SKIP LOCKED lets instances claim side by side. */
  async claimDue(owner: string, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    // webhook_deliveries_due_idx
    const rows = rowsOf<{
      id: string;
      event_id: string;
      payload: unknown;
      attempts: number;
      endpoint_id: string;
    }>(
      await this.dataSource.query(
        `UPDATE webhook_deliveries SET status = 'claimed', lease_owner = $1,
                lease_until = now() + $3 * interval '1 millisecond', updated_at = now()
          WHERE id IN (
            SELECT d.id FROM webhook_deliveries d
              JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.status = 'active'
             WHERE d.status IN ('queued', 'failed') AND d.next_attempt_at <= now()
             ORDER BY d.next_attempt_at
             LIMIT $2
             FOR UPDATE OF d SKIP LOCKED)
        RETURNING id, event_id, payload, attempts, endpoint_id`,
        [owner, limit, leaseMs],
      ),
    );
    if (rows.length === 0) {
      return [];
    }
    const endpoints: { id: string; url: string; secret: string }[] = await this.dataSource.query(
      'SELECT id, url, secret FROM webhook_endpoints WHERE id = ANY($1::uuid[])',
      [[...new Set(rows.map((r) => r.endpoint_id))]],
    );
    const byId = new Map(endpoints.map((e) => [e.id, e]));
    return rows
      .filter((r) => byId.has(r.endpoint_id))
      .map((r) => ({
        id: r.id,
        eventId: r.event_id,
        payload: r.payload,
        attempts: r.attempts,
        endpointId: r.endpoint_id,
        url: byId.get(r.endpoint_id)!.url,
        secret: byId.get(r.endpoint_id)!.secret,
      }));
  }

  async markDelivered(
    id: string,
    owner: string,
    statusCode: number,
    endpointId: string,
  ): Promise<void> {
    await inTransaction(this.dataSource, async (m) => {
      await m.query(
        `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1,
                delivered_at = now(), last_status_code = $3, last_error = NULL,
                lease_owner = NULL, lease_until = NULL, updated_at = now()
          WHERE id = $1 AND status = 'claimed' AND lease_owner = $2`,
        [id, owner, statusCode],
      );
      await m.query(
        `UPDATE webhook_endpoints SET consecutive_failures = 0, updated_at = now()
          WHERE id = $1 AND consecutive_failures <> 0`,
        [endpointId],
      );
    });
  }

  /**
   * A failed attempt: due again after `delayMs`, or dead after the last attempt. The endpoint's
   * failures in a row grow; at `disableAfter` it is disabled. Returns the endpoint when this
   * failure disabled it.
   */
  async markFailed(
    delivery: { id: string; endpointId: string; attempts: number },
    owner: string,
    failure: { error: string; statusCode: number | null; delayMs: number; dead: boolean },
    disableAfter: number,
    onDisabled: (manager: EntityManager, endpoint: EndpointRow) => Promise<void>,
  ): Promise<EndpointRow | null> {
    return inTransaction(this.dataSource, async (m) => {
      await m.query(
        `UPDATE webhook_deliveries SET status = $3, attempts = attempts + 1, last_error = $4,
                last_status_code = $5,
                next_attempt_at = now() + $6 * interval '1 millisecond',
                lease_owner = NULL, lease_until = NULL, updated_at = now()
          WHERE id = $1 AND status = 'claimed' AND lease_owner = $2`,
        [
          delivery.id,
          owner,
          failure.dead ? 'dead' : 'failed',
          failure.error.slice(0, 1000),
          failure.statusCode,
          failure.delayMs,
        ],
      );
      const disabled = rowsOf<EndpointRow>(
        await m.query(
          `UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1,
                  status = CASE WHEN consecutive_failures + 1 >= $2 THEN 'disabled' ELSE status END,
                  disabled_reason = CASE WHEN consecutive_failures + 1 >= $2
                    THEN $3 ELSE disabled_reason END,
                  disabled_at = CASE WHEN consecutive_failures + 1 >= $2 THEN now() ELSE disabled_at END,
                  updated_at = now()
            WHERE id = $1 AND status = 'active'
          RETURNING *`,
          [
            delivery.endpointId,
            disableAfter,
            `${disableAfter} failed deliveries in a row; last: ${failure.error.slice(0, 300)}`,
          ],
        ),
      );
      if (disabled[0]?.status !== 'disabled') {
        return null;
      }
      // The admins' mail commits with the disabling, so a crash cannot lose it.
      await onDisabled(m, disabled[0]);
      return disabled[0];
    });
  }

  async moderatorEmails(): Promise<string[]> {
    const rows: { emails: unknown }[] = await this.dataSource.query(
      `SELECT settings -> 'moderatorEmails' AS emails FROM moderation_settings WHERE id = 1`,
    );
    const emails = rows[0]?.emails;
    return Array.isArray(emails) ? emails.filter((e): e is string => typeof e === 'string') : [];
  }

  /**
   * On shutdown: hands back this dispatcher's claims and wakes the others, which take them and
   * whatever retries this one was waiting for.
   */
  async releaseClaims(owner: string): Promise<void> {
    await this.dataSource.query(
      `WITH released AS (
         UPDATE webhook_deliveries SET status = 'queued', lease_owner = NULL, lease_until = NULL,
                updated_at = now()
          WHERE status = 'claimed' AND lease_owner = $1)
       SELECT pg_notify('${WEBHOOKS_CHANNEL}', '')`,
      [owner],
    );
  }
}
