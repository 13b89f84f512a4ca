import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { QueueJob, type JobContext, type JobProcessor } from '@ionet/platform';
import { MoneyService } from '../../application/money.service';
import { BILLING_QUEUES } from './billing-queues';

/** Every run (hourly on the service's clock): suppliers' proven-hour earnings that fell due become
 *  payouts with ids hash(supplier, asset, run period). The transfer is the chain gateway's. */
@Injectable()
@QueueJob(BILLING_QUEUES.payouts, 'schedule-payouts')
export class SchedulePayoutsJob implements JobProcessor<Record<string, never>> {
  // Resolved when a job runs: QueuesModule holds the job, billing's module the service.
  constructor(private readonly moduleRef: ModuleRef) {}

  async process(_payload: Record<string, never>, context: JobContext): Promise<void> {
    const period = context.period;
    if (!period) throw new Error('schedule-payouts runs on its schedule only');
    await this.moduleRef.get(MoneyService, { strict: false }).schedulePayouts(context.tx, period.start, period.end);
  }
}
