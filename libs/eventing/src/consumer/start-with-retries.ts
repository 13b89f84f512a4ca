import type { ConsumerRunner } from './consumer-runner';

export interface StartWithRetriesOptions {
  /** Checked before each attempt: a closing application starts nothing more. */
  stopping(): boolean;
  /** Told of each failed attempt and how long until the next. */
  onRetry(err: unknown, attempt: number, delayMs: number): void;
  /** The longest wait between attempts (they back off from 250 ms, doubling). */
  delayMsMax?: number;
}

/**
 * Starts a consumer that a service runs beside its EventingModule, retrying until it subscribes:
 * the topics are the module's to create (ensureTopics), and until the broker hosts them subscribing
 * fails. Each attempt gets a fresh runner; a failed one is stopped. Resolves with the running runner,
 * or undefined when the application began closing first.
 */
export async function startConsumerWithRetries(create: () => ConsumerRunner, options: StartWithRetriesOptions): Promise<ConsumerRunner | undefined> {
  const delayMsMax = options.delayMsMax ?? 5_000;
  for (let attempt = 0; !options.stopping(); attempt++) {
    const runner = create();
    try {
      await runner.start();
      return runner;
    } catch (err) {
      await runner.stop().catch(() => undefined);
      const delayMs = Math.min(250 * 2 ** attempt, delayMsMax);
      options.onRetry(err, attempt, delayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
    }
  }
  return undefined;
}
