import { forwardRef, Inject } from '@nestjs/common';
import { QueueJob, type JobContext, type JobProcessor } from '@ionet/platform';
import { MoneyService } from '../../application/money.service';
import { BILLING_QUEUES } from './billing-queues';

/** Every run (hourly on the service's clock): suppliers' proven-hour earnings that fell due become
 *  payouts with ids hash(supplier, asset, run period). The transfer is the chain gateway's. */
@QueueJob(BILLING_QUEUES.payouts, 'schedule-payouts')
export class SchedulePayoutsJob implements JobProcessor<Record<string, never>> {
  constructor(@Inject(forwardRef(() => MoneyService)) private readonly money: MoneyService) {}

  async process(_payload: Record<string, never>, context: JobContext): Promise<void> {
    const period = context.period;
    if (!period) throw new Error('schedule-payouts runs on its schedule only');
    await this.money.schedulePayouts(context.tx, period.start, period.end);
  }
}
