import 'reflect-metadata';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ArgumentMetadata, HttpException, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import Fastify from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { PostCommentDto, ThreadQuery } from '../comments/dto/comment.dto';
import { APP_VALIDATION, CompiledValidationPipe } from './validation-pipe';

type Dto = new () => object;

/** Nest's own pipe with the app's options: what the fast path must never contradict. */
const full = new ValidationPipe(APP_VALIDATION);
const pipe = new CompiledValidationPipe();

const SRC = join(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

function propertiesOf(dto: Dto): string[] {
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(dto, '', false, false);
  return [...new Set(metadatas.map((m) => m.propertyName))];
}

/** Every class of the app that class-validator rules apply to, from every file that declares rules. */
async function everyDto(): Promise<Map<string, Dto>> {
  const dtos = new Map<string, Dto>();
  const files = sourceFiles(SRC).filter(
    (f) =>
      !f.endsWith('.spec.ts') &&
      !/validation(-errors|-pipe)?\.ts$/.test(f) &&
      readFileSync(f, 'utf8').includes("from 'class-validator'"),
  );
  for (const file of files) {
    const exported = (await import(file)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exported)) {
      if (typeof value === 'function' && propertiesOf(value as Dto).length > 0) {
        dtos.set(`${relative(SRC, file)}#${name}`, value as Dto);
      }
    }
  }
  return dtos;
}

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values a client may send in a field: valid ones for the app's rules, and every kind of wrong. */
const VALUES: unknown[] = [
  'Ana',
  'ana@example.org',
  'A comment with *emphasis*.',
  '550e8400-e29b-41d4-a716-446655440000',
  'none',
  'replies',
  'followups',
  'newest',
  'oldest',
  'top',
  'approved',
  'pending',
  'spam',
  'newsletter',
  'https://example.org/hook',
  '2026-03-01T10:00:00Z',
  '20',
  '1',
  '0',
  '-1',
  '101',
  'true',
  'on',
  '',
  ' ',
  '\u200b',
  'two\nlines',
  'x'.repeat(300),
  'x'.repeat(10_001),
  '\ud800',
  1,
  0,
  -1,
  20,
  1.5,
  Number.POSITIVE_INFINITY,
  Number.NaN,
  true,
  false,
  null,
  ['a'],
  { nested: 'object' },
];

function inputFor(properties: string[], next: () => number): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const property of properties) {
    if (next() < 0.7) {
      input[property] = VALUES[Math.floor(next() * VALUES.length)];
    }
  }
  if (next() < 0.1) {
    input.unexpected = 'field';
  }
  return input;
}

type Outcome = { value: unknown; proto: unknown } | { error: unknown };

async function outcomeOf(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    const value = await run();
    return { value, proto: value === undefined ? undefined : Object.getPrototypeOf(value) };
  } catch (error) {
    return { error: error instanceof HttpException ? error.getResponse() : String(error) };
  }
}

const copy = <T>(value: T): T => structuredClone(value);

describe('CompiledValidationPipe', () => {
  let dtos: Map<string, Dto>;

  beforeAll(async () => {
    dtos = await everyDto();
  });

  it('finds the app’s DTOs to check against', () => {
    expect(dtos.size).toBeGreaterThan(20);
  });

  it('accepts only what Nest’s pipe accepts, as the same instance, over every DTO of the app', async () => {
    const next = random(20261207);
    let vouched = 0;
    for (const [name, dto] of dtos) {
      const properties = propertiesOf(dto);
      for (let i = 0; i < 300; i += 1) {
        const input = inputFor(properties, next);
        for (const type of ['body', 'query'] as const) {
          const metadata: ArgumentMetadata = { type, metatype: dto };
          const expected = await outcomeOf(() => full.transform(copy(input), metadata));
          const fast = await outcomeOf(() =>
            Promise.resolve().then(() => pipe.fastTransform(copy(input), metadata)),
          );
          if ('error' in fast) {
            // A rule that throws (validator's isEmail on a lone surrogate) throws in both.
            expect(expected, `${name} ${JSON.stringify(input)}`).toEqual(fast);
          } else if (fast.value !== undefined) {
            vouched += 1;
            expect(expected, `${name} ${JSON.stringify(input)}`).toEqual(fast);
            expect(fast.proto).toBe(dto.prototype);
          }
          // Whatever the fast path made of it, the pipe's answer is Nest's.
          expect(await outcomeOf(() => pipe.transform(copy(input), metadata))).toEqual(expected);
        }
      }
    }
    // The comparison means something only if the fast path took part of it.
    expect(vouched).toBeGreaterThan(200);
  });

  it('takes the fast path for a comment and a thread query as posted and read', () => {
    const comment = pipe.fastTransform(
      {
        authorName: 'Ana',
        authorEmail: 'ana@example.org',
        body: 'A *comment*.',
        parentId: '550e8400-e29b-41d4-a716-446655440000',
        notify: 'replies',
      },
      { type: 'body', metatype: PostCommentDto },
    );
    expect(comment).toBeInstanceOf(PostCommentDto);
    expect(comment).toMatchObject({ authorName: 'Ana', notify: 'replies' });
    // A query's values are strings: limit is made a number, as Nest's pipe makes it.
    const query = pipe.fastTransform(
      { limit: '5', sort: 'oldest' },
      { type: 'query', metatype: ThreadQuery },
    );
    expect(query).toBeInstanceOf(ThreadQuery);
    expect(query).toMatchObject({ limit: 5, sort: 'oldest' });
  });

  it('takes the fast path for a query as Fastify parses it (an object of its own null prototype)', async () => {
    const server = Fastify();
    let parsed: unknown;
    server.get('/', (request) => {
      parsed = request.query;
      return '';
    });
    await server.inject('/?limit=5&sort=oldest&cursor=abc');
    await server.close();
    const metadata: ArgumentMetadata = { type: 'query', metatype: ThreadQuery };
    const query = pipe.fastTransform(parsed, metadata);
    expect(query).toBeInstanceOf(ThreadQuery);
    expect(query).toEqual(await full.transform(parsed, metadata));
  });

  it.each([
    ['a nested anchor', { anchor: { blockId: 'b1' } }],
    ['a field the DTO does not declare', { extra: 1 }],
    ['a __proto__ key', JSON.parse('{"__proto__": {"admin": true}}') as object],
    ['a constructor key', { constructor: 'x' }],
    ['a blank name', { authorName: ' ' }],
    ['a bad address', { authorEmail: 'nope' }],
    ['a reply to a malformed id', { parentId: 'x' }],
  ])('leaves %s to the full validation', async (_what, extra) => {
    const input = {
      authorName: 'Ana',
      authorEmail: 'ana@example.org',
      body: 'A comment.',
      ...extra,
    };
    const metadata: ArgumentMetadata = { type: 'body', metatype: PostCommentDto };
    expect(pipe.fastTransform(copy(input), metadata)).toBeUndefined();
    expect(await outcomeOf(() => pipe.transform(copy(input), metadata))).toEqual(
      await outcomeOf(() => full.transform(copy(input), metadata)),
    );
  });

  it.each([
    ['an array', [{ authorName: 'Ana' }]],
    ['a string', 'Ana'],
    ['nothing', undefined],
    ['null', null],
  ])('leaves a body that is %s to the full validation', (_what, input) => {
    expect(pipe.fastTransform(input, { type: 'body', metatype: PostCommentDto })).toBeUndefined();
  });
});
