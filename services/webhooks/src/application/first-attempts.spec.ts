import type { Logger } from '@ionet/platform';
import { waitFor } from '@ionet/testing';
import type { Pool } from 'pg';
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret } from '../infrastructure/delivery/signature';
import type { SendOutcome } from '../infrastructure/delivery/webhook-sender';
import type { AttemptJob } from './delivery-attempts';
import type { DeliveryStart } from './fan-out';
import { FirstAttempts } from './first-attempts';

/** The scheduling of first attempts (no I/O): bounds per endpoint and per process, endpoints in
 *  turn, hand-over of what waited too long, one record statement for what piled up. */
describe('first attempts: bounded, fair, handed over when late, recorded in batches', () => {
  const secret = newWebhookSecret();
  const delivery = (n: number, endpoint: string, status: 'active' | 'disabled' = 'active'): DeliveryStart => ({
    deliveryId: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`,
    target: { webhookEndpointId: endpoint, url: `https://${endpoint}.example.com/hook`, body: `{"n":${n}}`, secret, previousSecret: null, previousSecretExpiresAt: null, endpointStatus: status },
  });

  function harness(options: { concurrency: number; endpointConcurrency: number; handOverAfterMs?: number; unrecordable?: string }) {
    const sent: Array<{ url: string; headers: Record<string, string>; body: string; answer: (o: SendOutcome) => void }> = [];
    const handedOver: string[] = [];
    const recorded: string[][] = [];
    const retried: AttemptJob[] = [];
    const warnings: string[] = [];
    const wall = { ms: Date.now() };
    const firstAttempts = new FirstAttempts({
      pool: {
        query: async (_sql: string, values: unknown[]) => {
          if ((values[0] as string[]).includes(options.unrecordable ?? '')) throw new Error('invalid byte sequence');
          recorded.push(values[0] as string[]);
          // The failed ones (status pending) wait for attempt 1.
          return { rows: (values[0] as string[]).filter((_, i) => (values[7] as string[])[i] === 'pending').map((delivery_id) => ({ delivery_id })) };
        },
      } as unknown as Pool,
      sender: { send: (url, headers, body) => new Promise<SendOutcome>((answer) => sent.push({ url, headers, body, answer })) },
      clock: { now: () => new Date('2026-12-01T10:00:00Z') },
      logger: { warn: (_fields: unknown, message: string) => warnings.push(message) } as unknown as Logger,
      queue: {
        start: (d) => handedOver.push(...d.map((x) => x.deliveryId)),
        addMany: async (jobs) => {
          retried.push(...jobs.map((j) => j.job));
        },
      },
      concurrency: options.concurrency,
      endpointConcurrency: options.endpointConcurrency,
      handOverAfterMs: options.handOverAfterMs ?? 60_000,
      wallSeconds: () => Math.floor(wall.ms / 1_000),
      wallNowMs: () => wall.ms,
      recordRetryDelayMs: 0,
    });
    return { firstAttempts, sent, handedOver, recorded, retried, wall, warnings };
  }

  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('keeps each endpoint and the process to their bounds, serves endpoints in turn, and signs to the spec', async () => {
    const h = harness({ concurrency: 3, endpointConcurrency: 2 });
    h.firstAttempts.start([delivery(1, 'a'), delivery(2, 'a'), delivery(3, 'a'), delivery(4, 'a'), delivery(5, 'b'), delivery(6, 'b')]);
    // a gets two (its bound), b one (the process's bound of three).
    expect(h.sent.map((s) => JSON.parse(s.body).n)).toEqual([1, 5, 2]);
    const first = h.sent[0]!;
    expect(new Webhook(secret).verify(first.body, first.headers)).toEqual({ n: 1 });
    expect(first.headers['webhook-id']).toBe('msg_00000000000070008000000000000001');

    first.answer({ statusCode: 200, durationMs: 1 });
    await settle();
    // The free slot goes to the next endpoint in turn (b), not back to a.
    expect(h.sent.map((s) => JSON.parse(s.body).n)).toEqual([1, 5, 2, 6]);
  });

  it('records what piled up during a statement in the next one, and queues attempt 1 of the failed ones', async () => {
    const h = harness({ concurrency: 10, endpointConcurrency: 10 });
    h.firstAttempts.start([delivery(1, 'a'), delivery(2, 'a'), delivery(3, 'a')]);
    h.sent[0]!.answer({ statusCode: 200, durationMs: 1 });
    h.sent[1]!.answer({ statusCode: 500, durationMs: 1 });
    h.sent[2]!.answer({ durationMs: 15_000, error: 'no answer' });
    await h.firstAttempts.close();
    const ids = h.sent.map((_, i) => delivery(i + 1, 'a').deliveryId);
    // The first outcome's statement, then the two that arrived while it ran, together.
    expect(h.recorded).toEqual([[ids[0]], [ids[1], ids[2]]]);
    expect(h.retried).toEqual([
      { deliveryId: ids[1], attemptKey: 'scheduled.1' },
      { deliveryId: ids[2], attemptKey: 'scheduled.1' },
    ]);
  });

  it('hands to BullMQ what it cannot send: no target, an endpoint no longer active, a wait past the hand-over time, and everything waiting at close', async () => {
    const h = harness({ concurrency: 1, endpointConcurrency: 1, handOverAfterMs: 0 });
    h.firstAttempts.start([{ deliveryId: 'no-target' }, delivery(1, 'gone', 'disabled'), delivery(2, 'a'), delivery(3, 'a')]);
    expect(h.handedOver).toEqual(['no-target', delivery(1, 'gone').deliveryId]);
    expect(h.sent).toHaveLength(1);
    // Delivery 3 waits for a's slot; by the time it frees, it waited longer than the hand-over time.
    h.wall.ms += 5;
    h.sent[0]!.answer({ statusCode: 200, durationMs: 1 });
    await settle();
    expect(h.handedOver).toContain(delivery(3, 'a').deliveryId);
    expect(h.sent).toHaveLength(1);

    const waiting = harness({ concurrency: 1, endpointConcurrency: 1 });
    waiting.firstAttempts.start([delivery(4, 'b'), delivery(5, 'b')]);
    const closing = waiting.firstAttempts.close();
    expect(waiting.handedOver).toEqual([delivery(5, 'b').deliveryId]);
    waiting.sent[0]!.answer({ statusCode: 204, durationMs: 1 });
    await closing;
    expect(waiting.recorded).toEqual([[delivery(4, 'b').deliveryId]]);
  });

  it('one attempt that cannot be recorded holds up no other: the batch is recorded one by one, that one left to the sweeper', async () => {
    const poison = delivery(2, 'a').deliveryId;
    const h = harness({ concurrency: 10, endpointConcurrency: 10, unrecordable: poison });
    h.firstAttempts.start([delivery(1, 'a'), delivery(2, 'a'), delivery(3, 'a')]);
    for (const s of h.sent) s.answer({ statusCode: 200, durationMs: 1 });
    await waitFor('the unrecordable attempt given up', () => (h.warnings.some((w) => w.startsWith('first attempt not recorded')) ? true : undefined));
    await h.firstAttempts.close();
    // 1 alone (the first to finish), then 2 and 3 together: refused; one by one: 3 recorded, 2 refused five times.
    expect(h.recorded).toEqual([[delivery(1, 'a').deliveryId], [delivery(3, 'a').deliveryId]]);
    expect(h.warnings.filter((w) => w.startsWith('recording first attempts failed'))).toHaveLength(1);
    expect(h.warnings.filter((w) => w.startsWith('first attempt not recorded'))).toHaveLength(1);
  });
});
