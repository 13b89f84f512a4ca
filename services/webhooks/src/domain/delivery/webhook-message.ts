/** The Standard Webhooks message id of a delivery: the same on every attempt and every manual
 *  redelivery, so a receiver deduplicates on it. The delivery id itself derives from the endpoint
 *  and the source event, so a replayed event lands on the same message. */
export function webhookIdOf(deliveryId: string): string {
  return `msg_${deliveryId.replaceAll('-', '')}`;
}

/** The body every attempt sends, fixed when the delivery is created: `{type, timestamp, data}`
 *  with the source event's time. */
export function webhookBody(type: string, occurredAt: Date, data: Record<string, unknown>): string {
  return JSON.stringify({ type, timestamp: occurredAt.toISOString(), data });
}
