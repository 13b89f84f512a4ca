import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { QueueJob, type JobContext, type JobProcessor } from '@ionet/platform';
import { MoneyService } from '../../application/money.service';
import { BILLING_QUEUES } from './billing-queues';

/** At the end of each invoice period (on the service's clock): one invoice per organization and
 *  asset that was charged, refunded or kept fees in it. Runs once per period (job_effects). */
@Injectable()
@QueueJob(BILLING_QUEUES.invoices, 'issue-invoices')
export class IssueInvoicesJob implements JobProcessor<Record<string, never>> {
  // Resolved when a job runs: QueuesModule holds the job, billing's module the service.
  constructor(private readonly moduleRef: ModuleRef) {}

  async process(_payload: Record<string, never>, context: JobContext): Promise<void> {
    const period = context.period;
    if (!period) throw new Error('issue-invoices runs on its schedule only');
    await this.moduleRef.get(MoneyService, { strict: false }).issueInvoices(context.tx, period.start, period.end);
  }
}
