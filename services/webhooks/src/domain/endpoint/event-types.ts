/** The event types an endpoint may subscribe to (API.md "Money"), plus the notice that one of the
 *  organization's endpoints was disabled. `webhook.test` is sent only by the test operation. */
export const WEBHOOK_EVENT_TYPES = [
  'cluster.funded',
  'cluster.running',
  'cluster.hour_charged',
  'cluster.terminated',
  'invoice.issued',
  'payout.settled',
  'device.blocked',
  'webhook_endpoint.disabled',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_TEST_EVENT_TYPE = 'webhook.test';

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}
