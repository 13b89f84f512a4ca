import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { isValidAccountName } from '@ionet/ledger';
import { CLOCK, Caller, PAGE_LIMIT_DEFAULT, ProblemError, RequireScopes, type AuthContext, type Clock } from '@ionet/platform';
import { LedgerQueries, type InvariantReport } from '../../application/ledger-queries';
import { AccountDto, EntryPageDto, EntryQueryDto, StateHashDto } from './ledger.dto';

/**
 * The ledger views of API.md ("Ops and the public explorer"). Ops see everything; a customer key may
 * read the balances of its own organization's accounts (`customer:<its organization>:*`), and any
 * other account answers 404 as if it did not exist (ADR 0330).
 */
@ApiTags('ledger')
@Controller('v1/ledger')
export class LedgerController {
  constructor(
    private readonly queries: LedgerQueries,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('accounts/:account')
  @RequireScopes('ops', 'customer')
  @ApiOkResponse({ type: AccountDto })
  async account(@Caller() caller: AuthContext, @Param('account') account: string): Promise<AccountDto> {
    if (!isValidAccountName(account)) throw ProblemError.of('invalid', 'LEDGER.INVALID_ACCOUNT', 'Not a ledger account name (e.g. customer:<id>:available, platform:fees).');
    const notFound = ProblemError.of('not_found', 'LEDGER.ACCOUNT_NOT_FOUND', 'No such account in the ledger.');
    if (!caller.scopes.includes('ops') && !account.startsWith(`customer:${caller.tenantId}:`)) throw notFound;
    const balances = await this.queries.account(account);
    if (balances.length === 0) throw notFound;
    return { account, balances };
  }

  @Get('entries')
  @RequireScopes('ops')
  @ApiOkResponse({ type: EntryPageDto, description: 'Journal entries oldest first (by time, then id); with `account`, those that touch it' })
  async entries(@Query() query: EntryQueryDto): Promise<EntryPageDto> {
    if (query.account !== undefined && !isValidAccountName(query.account)) {
      throw ProblemError.of('invalid', 'LEDGER.INVALID_ACCOUNT', 'Not a ledger account name (e.g. customer:<id>:available, platform:fees).');
    }
    const page = await this.queries.entries(query.account, query.limit ?? PAGE_LIMIT_DEFAULT, query.cursor);
    return { items: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  @Get('state-hash')
  @RequireScopes('ops')
  @ApiOkResponse({ type: StateHashDto })
  async stateHash(): Promise<StateHashDto> {
    return { ...(await this.queries.stateHash()), computedAt: this.clock.now().toISOString() };
  }

  @Get('invariants')
  @RequireScopes('ops')
  @ApiOkResponse({ description: 'Every invariant of ARCHITECTURE.md checked now: entries balance, totals balance, balances equal their entries, no account below zero that must not be, IO supply within the cap' })
  async invariants(): Promise<InvariantReport> {
    return this.queries.invariants(this.clock.now());
  }
}
