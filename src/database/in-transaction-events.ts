import { EventEmitter2 } from '@nestjs/event-emitter';

/**
 * Emits an event whose listeners work in the caller's transaction, one listener after another.
 * `emitAsync` would start them all at once on the one connection the transaction holds: node-pg
 * then queues overlapping queries (deprecated, and gone in pg 9), and the order in which the
 * listeners take row locks would depend on which one is faster, breaking the documented lock order
 * (src/database/transactions.ts). A listener's failure propagates and rolls the transaction back.
 */
export async function emitInTransaction(
  events: EventEmitter2,
  name: string,
  event: unknown,
): Promise<void> {
  for (const listener of events.listeners(name)) {
    await (listener as (event: unknown) => unknown)(event);
  }
}
