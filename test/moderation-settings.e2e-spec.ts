import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TestApp } from './support/app';

const ROUTE = '/api/admin/settings/moderation';

describe('moderation settings', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ MODERATION: 'first' });
  });
  afterAll(() => t.close());

  it('starts from the defaults and the MODERATION mode', async () => {
    const res = await request(t.http).get(ROUTE).set(t.admin).expect(200);
    expect(res.body).toEqual({
      mode: 'first',
      maxLinks: 2,
      holdWords: [],
      blockWords: [],
      blockedEmails: [],
      blockedIps: [],
      reportThreshold: 3,
      moderatorEmails: [],
    });
  });

  it('saving other fields never pins the mode: each instance keeps its MODERATION until one is set', async () => {
    const strict = await createTestApp({ MODERATION: 'all' }, { databaseUrl: t.databaseUrl });
    try {
      await request(t.http)
        .put(ROUTE)
        .set(t.admin)
        .send({ holdWords: ['later'] })
        .expect(200);
      const mine = await request(t.http).get(ROUTE).set(t.admin).expect(200);
      const theirs = await request(strict.http).get(ROUTE).set(strict.admin).expect(200);
      expect([mine.body.mode, theirs.body.mode]).toEqual(['first', 'all']);
      expect(theirs.body.holdWords).toEqual(['later']);
    } finally {
      await request(t.http).put(ROUTE).set(t.admin).send({ holdWords: [] }).expect(200);
      await strict.close();
    }
  });

  it('stores a change, keeps fields left out, and records who made it', async () => {
    await request(t.http)
      .put(ROUTE)
      .set(t.admin)
      .send({ mode: 'all', blockWords: ['casino', ' casino '], blockedIps: ['10.0.0.0/8'] })
      .expect(200);
    await request(t.http).put(ROUTE).set(t.admin).send({ maxLinks: 5 }).expect(200);
    const res = await request(t.http).get(ROUTE).set(t.admin).expect(200);
    expect(res.body).toMatchObject({
      mode: 'all',
      maxLinks: 5,
      blockWords: ['casino'],
      blockedIps: ['10.0.0.0/8'],
    });
    const events: { actor: string; action: string }[] = await t.dataSource.query(
      "SELECT actor, action FROM moderation_events WHERE action = 'settings.update' ORDER BY id",
    );
    expect(events.slice(-2)).toEqual([
      { actor: 'ADMIN_TOKEN', action: 'settings.update' },
      { actor: 'ADMIN_TOKEN', action: 'settings.update' },
    ]);
  });

  it.each([
    [{ mode: 'sometimes' }],
    [{ maxLinks: -1 }],
    [{ blockedIps: ['10.0.0.0/33'] }],
    [{ blockedEmails: ['not an address'] }],
    [{ holdWords: ['two\nlines'] }],
    [{ moderatorEmails: ['nope'] }],
    [{ reportThreshold: 0 }],
    [{ unknown: true }],
  ])('rejects %j with 400 and changes nothing', async (body) => {
    const before = await request(t.http).get(ROUTE).set(t.admin).expect(200);
    await request(t.http).put(ROUTE).set(t.admin).send(body).expect(400);
    const after = await request(t.http).get(ROUTE).set(t.admin).expect(200);
    expect(after.body).toEqual(before.body);
  });

  it('keeps the audit trail append-only', async () => {
    await expect(t.dataSource.query('DELETE FROM moderation_events')).rejects.toThrow(
      /append-only/,
    );
  });
});
