import { Module, type DynamicModule } from '@nestjs/common';
import { trace, context as otelContext } from '@opentelemetry/api';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { ServiceDefinition } from '../src/bootstrap';
import { baseConfigSchema, type BaseConfig } from '../src/config/config';
import { PlatformModule } from '../src/platform.module';
import { QueueJob, type JobContext, type JobProcessor } from '../src/queues/job';
import { defineQueue, defineQueueRegistry } from '../src/queues/queues';
import { QueuesModule } from '../src/queues/queues.module';

export const TEST_QUEUES = defineQueueRegistry({
  payouts: defineQueue<SettlePayout>('payouts', { attempts: 3, backoff: { type: 'fixed', delay: 20 } }),
  epochs: defineQueue<CloseHour>('epochs', { attempts: 3, backoff: { type: 'fixed', delay: 20 } }),
});

export interface SettlePayout {
  supplierId: string;
  period: string;
  amountBaseUnits: string;
  /** Fail this many first attempts (a transient fault). */
  failAttempts?: number;
}

export interface CloseHour {
  epochLabel: string;
}

/** What the processors saw, per process (tests read it; the side effects themselves are rows). */
export const observed = { payoutRuns: [] as { jobId: string; effectId: string; attempt: number; traceId?: string }[], hourRuns: [] as number[] };

@QueueJob(TEST_QUEUES.payouts, 'settle-payout')
export class SettlePayoutJob implements JobProcessor<SettlePayout> {
  async process(payload: SettlePayout, context: JobContext): Promise<void> {
    observed.payoutRuns.push({ jobId: context.jobId, effectId: context.effectId, attempt: context.attempt, traceId: trace.getSpanContext(otelContext.active())?.traceId });
    // The side effect, in the transaction that records it as done.
    await context.tx.query('insert into payouts_sent (effect_id, supplier_id, period, amount_base_units) values ($1, $2, $3, $4)', [
      context.effectId,
      payload.supplierId,
      payload.period,
      payload.amountBaseUnits,
    ]);
    if (context.attempt < (payload.failAttempts ?? 0)) throw new Error('chain RPC timed out');
  }
}

@QueueJob(TEST_QUEUES.epochs, 'close-hour')
export class CloseHourJob implements JobProcessor<CloseHour> {
  async process(_payload: CloseHour, context: JobContext): Promise<void> {
    observed.hourRuns.push(context.period!.index);
    await context.tx.query('insert into hours_closed (hour_index, hour_start) values ($1, $2)', [context.period!.index, context.period!.start]);
  }
}

class QueueFixtureTables1764590500000 implements MigrationInterface {
  name = 'QueueFixtureTables1764590500000';
  async up(q: QueryRunner): Promise<void> {
    // No unique key on the effect: the test must see a repeat if the done record failed to stop one.
    await q.query('create table payouts_sent (effect_id text not null, supplier_id text not null, period text not null, amount_base_units numeric not null)');
    await q.query('create table hours_closed (hour_index bigint not null, hour_start timestamptz not null)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('drop table hours_closed');
    await q.query('drop table payouts_sent');
  }
}

@Module({})
class QueuesTestModule {
  static forRoot(config: BaseConfig, platform: Parameters<ServiceDefinition<BaseConfig>['module']>[1]): DynamicModule {
    return {
      module: QueuesTestModule,
      imports: [
        PlatformModule.forRoot({ config, ...platform, entities: [], migrations: [QueueFixtureTables1764590500000] }),
        QueuesModule.forRoot({ jobs: [SettlePayoutJob, CloseHourJob] }),
      ],
    };
  }
}

export const queuesTestService: ServiceDefinition<BaseConfig> = {
  configSchema: baseConfigSchema,
  module: (config, platform) => QueuesTestModule.forRoot(config, platform),
  openApi: { title: 'queues test', description: 'platform queues checks', version: '1' },
};
