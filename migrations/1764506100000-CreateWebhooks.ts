import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook endpoints and their delivery outbox: one row per (endpoint, event), written in the
 * transaction that causes the event, claimed with FOR UPDATE SKIP LOCKED and a lease.
 */
export class CreateWebhooks1764506100000 implements MigrationInterface {
  name = 'CreateWebhooks1764506100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        url text NOT NULL,
        events text[] NOT NULL,
        secret text NOT NULL,
        description text NOT NULL DEFAULT '',
        status text NOT NULL DEFAULT 'active',
        consecutive_failures integer NOT NULL DEFAULT 0,
        disabled_reason text,
        disabled_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webhook_endpoints_status_valid CHECK (status IN ('active', 'disabled')),
        CONSTRAINT webhook_endpoints_events_not_empty CHECK (cardinality(events) > 0)
      )`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        endpoint_id uuid NOT NULL,
        event_id text NOT NULL,
        event_type text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'queued',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_owner text,
        lease_until timestamptz,
        last_error text,
        last_status_code integer,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webhook_deliveries_endpoint_fk FOREIGN KEY (endpoint_id)
          REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        CONSTRAINT webhook_deliveries_event_once UNIQUE (endpoint_id, event_id),
        CONSTRAINT webhook_deliveries_status_valid
          CHECK (status IN ('queued', 'claimed', 'failed', 'delivered', 'dead'))
      )`);
    // The dispatcher's claim: due rows in time order.
    await q.query(`
      CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
      WHERE status IN ('queued', 'failed')`);
    await q.query(`
      CREATE INDEX webhook_deliveries_lease_idx ON webhook_deliveries (lease_until)
      WHERE status = 'claimed'`);
    await q.query(`
      CREATE INDEX webhook_deliveries_endpoint_idx
      ON webhook_deliveries (endpoint_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE webhook_deliveries');
    await q.query('DROP TABLE webhook_endpoints');
  }
}
