import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { WorkItem } from '@ionet/agent-protocol';
import Redis from 'ioredis';
import { CONFIG, type BaseConfig } from '../config/config';
import { LOGGER, type Logger } from '../logging/logger';
import { REDIS } from '../platform.tokens';

/** The most items one poll answers; the rest wait for the next poll. */
export const WORK_ITEMS_PER_POLL_MAX = 50;
/** A device's mailbox holds at most this many items: a post beyond it is refused (a stuck agent
 *  must not grow Redis without bound). */
export const WORK_ITEMS_PER_DEVICE_MAX = 1_000;
const ITEM_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,200}$/;

/** The id an item is acknowledged by: one per challenge, job and stop, so a re-post replaces
 *  nothing and the agent de-duplicates by it. */
export function workItemId(item: WorkItem): string {
  switch (item.kind) {
    case 'challenge':
      return `challenge:${item.challenge.challengeId}`;
    case 'job':
      return `job:${item.job.jobId}`;
    case 'stop':
      return `stop:${item.jobId}`;
    default: {
      const never: never = item;
      throw new Error(`unknown work item ${JSON.stringify(never)}`);
    }
  }
}

export class AgentWorkMailboxFullError extends Error {
  override readonly name = 'AgentWorkMailboxFullError';
}

/**
 * A per-device mailbox of work for worker agents, in Redis (ADR 0400, 0412). Any service posts an
 * item with a deterministic id; `GET /v1/agent/work` long polls read it; an item is re-delivered on
 * every poll until someone acknowledges it (a challenge by its result, a job by the agent's
 * `accepted`, a stop by `stopped`). Storage: a hash of items and a sorted set of their first-post
 * times per device (a re-post keeps the first place and the first body).
 *
 * Long polls do not hold a Redis connection each: one subscriber connection per process listens on
 * one channel, and a post publishes the device id on it; the process wakes its local waiters for that
 * device, which then read the mailbox with the shared client. A waiter registers before it reads, so
 * a post between the read and the wait still wakes it.
 */
@Injectable()
export class AgentWorkMailbox implements OnApplicationShutdown {
  private readonly prefix: string;
  private readonly channel: string;
  private subscriber?: Redis;
  private subscribing?: Promise<void>;
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CONFIG) private readonly config: BaseConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.prefix = `${config.QUEUE_PREFIX}:agent-work:`;
    this.channel = `${config.QUEUE_PREFIX}:agent-work:wake`;
  }

  /** Posts an item (idempotent by its id) and wakes the device's polls on every instance. */
  async post(deviceId: string, item: WorkItem, postedAtMs: number): Promise<{ itemId: string; posted: boolean }> {
    const itemId = assertItemId(workItemId(item));
    if ((await this.redis.zcard(this.queueKey(deviceId))) >= WORK_ITEMS_PER_DEVICE_MAX) throw new AgentWorkMailboxFullError(`device ${deviceId} has ${WORK_ITEMS_PER_DEVICE_MAX} unacknowledged work items`);
    const results = await this.redis.multi().hsetnx(this.itemsKey(deviceId), itemId, JSON.stringify(item)).zadd(this.queueKey(deviceId), 'NX', postedAtMs, itemId).exec();
    const posted = Number(results?.[0]?.[1] ?? 0) === 1;
    // Only something new wakes the polls: a re-post of a pending item is already delivered to them.
    if (posted) await this.redis.publish(this.channel, deviceId);
    return { itemId, posted };
  }

  /** Removes an item: it is not delivered again. Acknowledging an absent item does nothing. */
  async acknowledge(deviceId: string, itemId: string): Promise<boolean> {
    const results = await this.redis.multi().hdel(this.itemsKey(deviceId), itemId).zrem(this.queueKey(deviceId), itemId).exec();
    return Number(results?.[0]?.[1] ?? 0) === 1;
  }

  /** One unacknowledged item by its id. */
  async item(deviceId: string, itemId: string): Promise<WorkItem | undefined> {
    const body = await this.redis.hget(this.itemsKey(deviceId), itemId);
    return body === null ? undefined : (JSON.parse(body) as WorkItem);
  }

  /** The unacknowledged items, oldest first (at most WORK_ITEMS_PER_POLL_MAX). */
  async pending(deviceId: string): Promise<WorkItem[]> {
    const ids = await this.redis.zrange(this.queueKey(deviceId), 0, WORK_ITEMS_PER_POLL_MAX - 1);
    if (ids.length === 0) return [];
    const bodies = await this.redis.hmget(this.itemsKey(deviceId), ...ids);
    return bodies.filter((b): b is string => b !== null).map((b) => JSON.parse(b) as WorkItem);
  }

  /** The items at once when there are any; else waits up to `waitMs` (wall) for a post to this
   *  device, then answers what is there (possibly nothing). `aborted` ends the wait early (the
   *  client went away). */
  async poll(deviceId: string, waitMs: number, aborted?: AbortSignal): Promise<WorkItem[]> {
    if (waitMs <= 0) return this.pending(deviceId);
    await this.ensureSubscribed();
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    this.addWaiter(deviceId, wake);
    const timer = setTimeout(wake, waitMs);
    const onAbort = () => wake();
    aborted?.addEventListener('abort', onAbort, { once: true });
    try {
      const now = await this.pending(deviceId);
      if (now.length > 0) return now;
      await woken;
      return await this.pending(deviceId);
    } finally {
      clearTimeout(timer);
      aborted?.removeEventListener('abort', onAbort);
      this.removeWaiter(deviceId, wake);
    }
  }

  /** How many polls wait in this process (for tests and metrics). */
  get waitingPolls(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  async onApplicationShutdown(): Promise<void> {
    for (const set of this.waiters.values()) for (const wake of set) wake();
    this.subscriber?.disconnect();
  }

  private ensureSubscribed(): Promise<void> {
    if (!this.subscribing) {
      const subscriber = new Redis(this.config.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true });
      subscriber.on('error', (err) => this.logger.warn({ err: err.message }, 'agent work subscriber error'));
      subscriber.on('message', (_channel: string, deviceId: string) => this.wakeLocal(deviceId));
      // After a reconnect ioredis re-subscribes; posts made while it was away are read by the
      // waiters' own timeout re-read at the latest.
      this.subscriber = subscriber;
      this.subscribing = subscriber
        .connect()
        .then(() => subscriber.subscribe(this.channel))
        .then(() => undefined)
        .catch((err: Error) => {
          this.subscribing = undefined;
          subscriber.disconnect();
          throw err;
        });
    }
    return this.subscribing;
  }

  private wakeLocal(deviceId: string): void {
    const set = this.waiters.get(deviceId);
    if (!set) return;
    for (const wake of set) wake();
  }

  private addWaiter(deviceId: string, wake: () => void): void {
    let set = this.waiters.get(deviceId);
    if (!set) this.waiters.set(deviceId, (set = new Set()));
    set.add(wake);
  }

  private removeWaiter(deviceId: string, wake: () => void): void {
    const set = this.waiters.get(deviceId);
    if (!set) return;
    set.delete(wake);
    if (set.size === 0) this.waiters.delete(deviceId);
  }

  private itemsKey(deviceId: string): string {
    return `${this.prefix}${deviceId}:items`;
  }

  private queueKey(deviceId: string): string {
    return `${this.prefix}${deviceId}:queue`;
  }
}

function assertItemId(id: string): string {
  if (!ITEM_ID_PATTERN.test(id)) throw new Error(`invalid work item id ${id}`);
  return id;
}
