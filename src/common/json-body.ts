import { BadRequestException } from '@nestjs/common';
import { unstorableReason } from './text-rules';

export const MAX_JSON_DEPTH = 32;

/** Keys that reach an object's prototype when copied; no DTO has them (prototype poisoning). */
const POISON_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Walks a parsed JSON body without recursion: rejects nesting deeper than MAX_JSON_DEPTH (deeper
 * bodies overflow class-transformer's recursion and would answer 500) and any string, key or
 * value, that PostgreSQL cannot store faithfully (NUL, lone surrogates) or that carries controls,
 * and keys that could reach a prototype.
 */
export function assertSafeJson(body: unknown): void {
  const stack: { value: unknown; depth: number; path: string }[] = [
    { value: body, depth: 0, path: 'body' },
  ];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value === 'string') {
      const reason = unstorableReason(value);
      if (reason) {
        throw new BadRequestException(`${path} ${reason}`);
      }
      continue;
    }
    if (value === null || typeof value !== 'object') {
      continue;
    }
    if (depth >= MAX_JSON_DEPTH) {
      throw new BadRequestException(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    for (const [key, child] of Object.entries(value)) {
      const reason = POISON_KEYS.has(key) ? `may not be named "${key}"` : unstorableReason(key);
      if (reason) {
        throw new BadRequestException(`a key in ${path} ${reason}`);
      }
      stack.push({ value: child, depth: depth + 1, path: Array.isArray(value) ? path : key });
    }
  }
}
