import { Queue, Worker, type ConnectionOptions, type JobsOptions, type Processor, type WorkerOptions } from 'bullmq';
import { createHash } from 'node:crypto';

/** A queue and the type of its jobs' payload, declared once (the registry of queue names lives in
 *  each service's `infrastructure/queues/queues.ts`, built with `defineQueueRegistry`). */
export interface QueueDefinition<Payload> {
  name: string;
  defaultJobOptions: JobsOptions;
  /** Phantom field carrying the payload type. */
  readonly payload?: Payload;
}

export function defineQueue<Payload>(name: string, defaultJobOptions: JobsOptions = {}): QueueDefinition<Payload> {
  if (!/^[a-z][a-z0-9-]{1,62}$/.test(name)) throw new Error(`queue name ${name} must be lower-case kebab-case`);
  return { name, defaultJobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: 1_000, removeOnFail: 10_000, ...defaultJobOptions } };
}

/** The one registry of a service's queues: names are unique, so two job kinds never share a queue
 *  by accident. */
export function defineQueueRegistry<R extends Record<string, QueueDefinition<unknown>>>(registry: R): R {
  const names = Object.values(registry).map((q) => q.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new Error(`queue name ${duplicate} is registered twice`);
  return registry;
}

/** The deterministic id of a side effect: the job's name and a hash of what identifies the effect
 *  (e.g. ['payout', supplierId, period]). Never an integer, never a ':', always the same for the
 *  same parts: a retry, a re-add or a replay lands on the same id. */
export function deterministicJobId(jobName: string, parts: readonly (string | number | bigint)[]): string {
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(jobName)) throw new Error(`job name ${jobName} must be lower-case kebab-case`);
  if (parts.length === 0) throw new Error(`job ${jobName} needs the parts that identify its effect`);
  const digest = createHash('sha256')
    .update(JSON.stringify(parts.map((p) => String(p))))
    .digest('base64url')
    .slice(0, 32);
  return assertJobId(`${jobName}.${digest}`);
}

/** BullMQ job ids must not be integers or contain ':'; ours are deterministic ids of the side
 *  effect (e.g. hash(supplier, period)), so a retry or a replay adds the same job once. */
export function assertJobId(jobId: string): string {
  if (!/^[A-Za-z0-9_.-]{1,200}$/.test(jobId) || /^\d+$/.test(jobId)) throw new Error(`invalid job id ${jobId}`);
  return jobId;
}

export function createQueue<P>(def: QueueDefinition<P>, connection: ConnectionOptions, prefix: string): Queue<P> {
  return new Queue<P>(def.name, { connection, prefix, defaultJobOptions: def.defaultJobOptions });
}

export async function addJob<P>(queue: Queue<P>, jobId: string, payload: P): Promise<void> {
  // A duplicate add is a silent no-op while the job exists: the returned job is not trusted.
  await (queue as Queue).add(queue.name, payload, { jobId: assertJobId(jobId) });
}

export function createWorker<P>(
  def: QueueDefinition<P>,
  processor: Processor<P>,
  connection: ConnectionOptions,
  prefix: string,
  options: Omit<WorkerOptions, 'connection' | 'prefix'> = {},
): Worker<P> {
  return new Worker<P>(def.name, processor, { connection, prefix, concurrency: 10, ...options });
}
