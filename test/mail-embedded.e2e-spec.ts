import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app';
import { waitForEml } from './support/eml-files';
import { headerLines } from './support/smtp-sink';

/**
 * The embedded default of `npm start`: PGlite instead of a server, and `.eml` files instead of
 * SMTP. The same outbox, dispatcher and pages must work there.
 */
describe('mail on the embedded default (PGlite + .eml files)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'marginalia-embedded-'));
  const mailDir = join(dataDir, 'mail');
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      MAIL_DISPATCHER: 'on',
      MAIL_POLL_MS: '100',
    });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const mailTo = (address: string, count: number) => waitForEml(mailDir, address, count, 15_000);

  it('runs the double opt-in and a newsletter issue through .eml files', async () => {
    expect(t.config.database.kind).toBe('pglite');
    await request(t.http)
      .post('/api/newsletter/subscriptions')
      .send({ email: 'local@example.org', consent: true })
      .expect(202);
    const [confirmation] = await mailTo('local@example.org', 1);
    const text = (await simpleParser(confirmation)).text ?? '';
    const token = /\/confirm\?token=([A-Za-z0-9_-]{43})/.exec(text)![1];
    await request(t.http)
      .post('/api/subscriptions/confirm')
      .send({ token })
      .expect(200, { status: 'confirmed', kind: 'newsletter' });

    const issue = await request(t.http)
      .post('/api/admin/newsletter/issues')
      .set(t.admin)
      .send({ subject: 'Embedded issue', body: 'From PGlite.' })
      .expect(202);
    expect(issue.body.recipients).toBe(1);
    const [, newsletter] = await mailTo('local@example.org', 2);
    expect(headerLines(newsletter, 'List-Unsubscribe-Post')).toEqual([
      'List-Unsubscribe=One-Click',
    ]);
    expect((await simpleParser(newsletter)).subject).toBe('Embedded issue');
    const emails = await request(t.http)
      .get('/api/admin/emails?status=sent')
      .set(t.admin)
      .expect(200);
    expect(emails.body.items).toHaveLength(2);
  });
});
