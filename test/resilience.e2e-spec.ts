import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { LifecycleService } from '../src/health/lifecycle.service';
import { createTestApp, TestApp } from './support/app';
import { createTestDatabase, serverUrl } from './support/postgres';
import { TcpProxy } from './support/tcp-proxy';

const SEED_SLUG = 'china-seeks-partnership-with-turkey-in-combating-terrorism';

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const result = await work();
  return [result, Date.now() - started];
}

async function eventually(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`not recovered within ${ms} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a PostgreSQL outage', () => {
  let t: TestApp;
  let proxy: TcpProxy;

  beforeAll(async () => {
    const server = new URL(serverUrl());
    proxy = await TcpProxy.start(server.hostname, Number(server.port || 5432));
    t = await createTestApp({}, { databaseUrl: proxy.route(await createTestDatabase()) });
  });
  afterAll(async () => {
    await t.close();
    await proxy.close();
  });

  const healthy = async () => (await request(t.http).get('/api/health')).status === 200;

  it('a crash (connections reset and refused) answers 503 at once and recovers', async () => {
    await request(t.http).get(`/api/articles/${SEED_SLUG}`).expect(200);
    proxy.cut();

    const [health, healthMs] = await timed(() => request(t.http).get('/api/health'));
    expect(health.status).toBe(503);
    expect(health.body).toEqual({ status: 'unavailable', db: 'down' });
    expect(healthMs).toBeLessThan(2000);

    const [article, articleMs] = await timed(() =>
      request(t.http).get(`/api/articles/${SEED_SLUG}`),
    );
    expect(article.status).toBe(503);
    expect(article.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'the database is unavailable; try again shortly',
    });
    expect(article.headers['retry-after']).toBe('5');
    expect(articleMs).toBeLessThan(3000);

    const write = await request(t.http)
      .post('/api/admin/articles')
      .set(t.admin)
      .send({ title: 'During the outage', body: 'x' });
    expect(write.status).toBe(503);

    const page = await request(t.http).get('/').set('Accept', 'text/html');
    expect(page.status).toBe(503);
    expect(page.text).toContain('Something went wrong on our side');

    proxy.restore();
    await eventually(healthy, 5000);
    await request(t.http).get(`/api/articles/${SEED_SLUG}`).expect(200);
    await request(t.http)
      .post('/api/admin/articles')
      .set(t.admin)
      .send({ title: 'After the outage', body: 'x' })
      .expect(201);
  });

  it('a half-open network (nothing answers) answers 503 within the client timeouts', async () => {
    await request(t.http).get(`/api/articles/${SEED_SLUG}`).expect(200);
    proxy.freeze();

    const [health, healthMs] = await timed(() => request(t.http).get('/api/health'));
    expect(health.status).toBe(503);
    expect(healthMs).toBeLessThan(2000);

    const [article, articleMs] = await timed(() =>
      request(t.http).get(`/api/articles/${SEED_SLUG}`),
    );
    expect(article.status).toBe(503);
    expect(articleMs).toBeLessThan(7000);

    proxy.restore();
    await eventually(healthy, 10_000);
    await request(t.http).get(`/api/articles/${SEED_SLUG}`).expect(200);
  }, 30_000);

  it('repeated outages never kill the process', async () => {
    for (let i = 0; i < 3; i++) {
      proxy.cut();
      await request(t.http).get('/api/health').expect(503);
      proxy.restore();
      await eventually(healthy, 5000);
    }
    expect(process.exitCode ?? 0).toBe(0);
  });
});

describe('shutdown', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('health answers 503 as soon as shutdown begins; other requests are still served', async () => {
    await request(t.http).get('/api/health').expect(200);
    t.app.get(LifecycleService).beginShutdown();
    const health = await request(t.http).get('/api/health');
    expect(health.status).toBe(503);
    expect(health.body).toEqual({ status: 'shutting-down', db: 'unknown' });
    const article = await request(t.http).get(`/api/articles/${SEED_SLUG}`).expect(200);
    expect(article.headers.connection).toBe('close');
  });
});
