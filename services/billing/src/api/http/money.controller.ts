import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { causedByRequest, newStreamIdFor } from '@ionet/eventing';
import { Caller, canAccessTenant, IdempotencyKey, PAGE_LIMIT_DEFAULT, ParseUuidPipe, ProblemError, RequestId, RequireScopes, type AuthContext } from '@ionet/platform';
import { MoneyService, type Invoice, type Payout, type Transaction } from '../../application/money.service';
import { BillingError } from '../../domain/shared/billing.errors';
import { BalancesDto, BalancesQueryDto, CreateDepositDto, DepositDto, InvoicesQueryDto, PayoutsQueryDto, TransactionsQueryDto } from './money.dto';

/** The organization a request reads: the caller's own; ops name one. */
function organizationOf(caller: AuthContext, requested: string | undefined): string {
  if (caller.scopes.includes('ops')) {
    if (!requested) throw ProblemError.of('invalid', 'BILLING.ORGANIZATION_REQUIRED', 'An ops key names the organization: ?organizationId=<uuid>.');
    return requested;
  }
  if (requested && !canAccessTenant(caller, requested)) throw new BillingError('ORGANIZATION.NOT_FOUND', `No organization ${requested}.`);
  return caller.tenantId;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function transactionDto(t: Transaction) {
  return { ...t, occurredAt: t.occurredAt.toISOString() };
}

function invoiceDto(i: Invoice) {
  return { ...i, periodStart: i.periodStart.toISOString(), periodEnd: i.periodEnd.toISOString(), issuedAt: i.issuedAt.toISOString(), lines: i.lines.map((l) => ({ ...l, hourStart: iso(l.hourStart) })) };
}

function payoutDto(p: Payout) {
  return {
    ...p,
    periodStart: p.periodStart.toISOString(),
    periodEnd: p.periodEnd.toISOString(),
    dueAt: p.dueAt.toISOString(),
    // The transfer is executed by the token issue's chain gateway (PayoutSettled); until then: due.
    status: p.chainTransactionSignature ? 'settled' : 'due',
  };
}

@ApiTags('money')
@Controller('v1')
export class MoneyController {
  constructor(private readonly money: MoneyService) {}

  @Post('deposits')
  @RequireScopes('ops')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key credits nothing twice' })
  @ApiCreatedResponse({ type: DepositDto })
  async deposit(@RequestId() requestId: string, @IdempotencyKey() idempotency: { tenantId: string; key: string } | undefined, @Body() body: CreateDepositDto): Promise<DepositDto> {
    const depositId = newStreamIdFor('deposit', idempotency);
    const d = await this.money.deposit(
      depositId,
      { organizationId: body.organizationId.toLowerCase(), asset: body.asset, amountBaseUnits: BigInt(body.amountBaseUnits), externalReference: body.externalReference },
      causedByRequest(requestId, idempotency),
    );
    return { ...d, amountBaseUnits: d.amountBaseUnits.toString(), receivedAt: d.receivedAt.toISOString() };
  }

  @Get('balances')
  @ApiOkResponse({ type: BalancesDto, description: 'Per asset: available and in escrow' })
  async balances(@Caller() caller: AuthContext, @Query() query: BalancesQueryDto): Promise<BalancesDto> {
    const organizationId = organizationOf(caller, query.organizationId);
    const balances = await this.money.balances(organizationId);
    return { organizationId, balances: balances.map((b) => ({ asset: b.asset, availableBaseUnits: b.availableBaseUnits.toString(), escrowBaseUnits: b.escrowBaseUnits.toString() })) };
  }

  @Get('transactions')
  @ApiOkResponse({ description: "Every movement of the organization, oldest first: deposits, escrow locked and released, hourly charges, refunds, fees; for a supplier organization, its suppliers' earnings per charged hour" })
  async transactions(@Caller() caller: AuthContext, @Query() query: TransactionsQueryDto) {
    const organizationId = organizationOf(caller, query.organizationId);
    const from = query.from ? new Date(query.from) : undefined;
    const to = query.to ? new Date(query.to) : undefined;
    if (from && to && from.getTime() > to.getTime()) throw ProblemError.of('invalid', 'BILLING.INVALID_PERIOD', '`from` must not be after `to`.');
    // A supplier organization's money is its suppliers' earnings; a customer's, its balances' movements.
    const earnings = !caller.scopes.includes('ops') && (caller.scopes.includes('supplier') || caller.scopes.includes('partner_network'));
    const page = await this.money.listTransactions(organizationId, { type: query.type, from, to, earnings }, query.limit ?? PAGE_LIMIT_DEFAULT, query.cursor);
    return { items: page.items.map(transactionDto), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  @Get('invoices')
  @ApiOkResponse({ description: "The organization's invoices, oldest period first" })
  async invoices(@Caller() caller: AuthContext, @Query() query: InvoicesQueryDto) {
    const organizationId = organizationOf(caller, query.organizationId);
    const page = await this.money.listInvoices(caller, organizationId, query.limit ?? PAGE_LIMIT_DEFAULT, query.cursor);
    return { items: page.items.map(invoiceDto), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  @Get('invoices/:invoiceId')
  @ApiOkResponse({ description: 'An invoice: a line per cluster and hour, the fees, refunds for the record, totals' })
  async invoice(@Caller() caller: AuthContext, @Param('invoiceId', ParseUuidPipe) invoiceId: string) {
    return invoiceDto(await this.money.invoice(caller, invoiceId));
  }

  @Get('clusters/:clusterId/cost-report')
  @ApiOkResponse({ description: "What the cluster cost hour by hour, beside public clouds' list prices for the same GPUs (a dated table)" })
  async costReport(@Caller() caller: AuthContext, @Param('clusterId') clusterId: string) {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(clusterId)) throw ProblemError.of('invalid', 'REQUEST.INVALID_ID', 'clusterId is not a cluster id.');
    const report = await this.money.costReport(caller, clusterId);
    return { ...report, hours: report.hours.map((h) => ({ ...h, hourStart: h.hourStart.toISOString() })) };
  }

  @Get('payouts')
  @RequireScopes('supplier', 'partner_network', 'ops')
  @ApiOkResponse({ description: "The caller's suppliers' payouts: period, amount and, once settled, the chain transaction" })
  async payouts(@Caller() caller: AuthContext, @Query() query: PayoutsQueryDto) {
    const page = await this.money.listPayouts(caller, { supplierId: query.supplierId?.toLowerCase() }, query.limit ?? PAGE_LIMIT_DEFAULT, query.cursor);
    return { items: page.items.map(payoutDto), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }
}
