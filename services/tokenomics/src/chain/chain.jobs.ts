import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { defineQueue, defineQueueRegistry, QueueJob, type JobContext, type JobProcessor, type JobSchedule } from '@ionet/platform';
import { ChainExecutor } from './chain-executor';

/** The chain executors' queue (its own registry: the executors are a unit of their own, ADR 0601). */
export const CHAIN_QUEUES = defineQueueRegistry({
  chain: defineQueue<Record<string, never>>('tokenomics-chain', { attempts: 10, backoff: { type: 'exponential', delay: 1_000 } }),
});

/** Every sweep period: the pending decisions executed (their own ids make each at most once; the
 *  period's done record only keeps two sweeps of one period from both running). */
@Injectable()
@QueueJob(CHAIN_QUEUES.chain, 'chain-sweep')
export class ChainSweepJob implements JobProcessor<Record<string, never>> {
  constructor(private readonly moduleRef: ModuleRef) {}

  async process(): Promise<void> {
    await this.moduleRef.get(ChainExecutor, { strict: false }).executePending();
  }
}

/** Every reconciliation period: the books' IO supply beside the mint's on chain. */
@Injectable()
@QueueJob(CHAIN_QUEUES.chain, 'supply-reconcile')
export class SupplyReconcileJob implements JobProcessor<Record<string, never>> {
  constructor(private readonly moduleRef: ModuleRef) {}

  async process(_payload: Record<string, never>, context: JobContext): Promise<void> {
    if (!context.period) throw new Error('supply-reconcile runs on its schedule only');
    await this.moduleRef.get(ChainExecutor, { strict: false }).reconcile(context.period.index);
  }
}

export const CHAIN_JOBS = [ChainSweepJob, SupplyReconcileJob];

export function chainSchedules(config: { CHAIN_SWEEP_EVERY_MS: number; CHAIN_RECONCILE_EVERY_MS: number }): JobSchedule<Record<string, never>>[] {
  return [
    { job: ChainSweepJob, schedulerId: 'tokenomics-chain-sweep', everyClockMs: config.CHAIN_SWEEP_EVERY_MS, payload: {} },
    { job: SupplyReconcileJob, schedulerId: 'tokenomics-supply-reconcile', everyClockMs: config.CHAIN_RECONCILE_EVERY_MS, payload: {} },
  ];
}
