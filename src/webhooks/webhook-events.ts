export const WEBHOOK_EVENTS = [
  'comment.created',
  'comment.published',
  'comment.held',
  'comment.withdrawn',
  'subscription.confirmed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];
