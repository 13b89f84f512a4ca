import { forwardRef, Inject } from '@nestjs/common';
import { QueueJob, type JobContext, type JobProcessor } from '@ionet/platform';
import { MoneyService } from '../../application/money.service';
import { BILLING_QUEUES } from './billing-queues';

/** At the end of each invoice period (on the service's clock): one invoice per organization and
 *  asset that was charged, refunded or kept fees in it. Runs once per period (job_effects). */
@QueueJob(BILLING_QUEUES.invoices, 'issue-invoices')
export class IssueInvoicesJob implements JobProcessor<Record<string, never>> {
  constructor(@Inject(forwardRef(() => MoneyService)) private readonly money: MoneyService) {}

  async process(_payload: Record<string, never>, context: JobContext): Promise<void> {
    const period = context.period;
    if (!period) throw new Error('issue-invoices runs on its schedule only');
    await this.money.issueInvoices(context.tx, period.start, period.end);
  }
}
