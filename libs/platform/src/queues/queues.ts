import { Queue, Worker, type ConnectionOptions, type JobsOptions, type Processor, type WorkerOptions } from 'bullmq';

/** A queue and the type of its jobs' payload, declared once (the registry of queue names lives in
 *  each service's `infrastructure/queues/queues.ts`). */
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
