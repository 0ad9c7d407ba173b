import { EntityManager } from 'typeorm';

/**
 * A subscription was confirmed. Emitted and awaited inside the transaction that confirmed it,
 * with its manager, so what a listener records commits or rolls back with the confirmation.
 * Listeners must use only `manager` and stay quick.
 */
export class SubscriptionConfirmedInTx {
  static readonly event = 'subscription.confirmed-in-tx';

  constructor(
    readonly subscription: {
      id: string;
      kind: string;
      email: string;
      articleId: string | null;
      confirmedAt: Date;
    },
    readonly manager: EntityManager,
  ) {}
}
