import { AccountNames as A, accountFlags } from './account-names';
import { formatAmount, parseAmount } from './assets';
import { creditBalance, Leg, Ledger, LedgerOperation, LedgerRecord, transferLegs } from './ledger';
import { LedgerError, LedgerErrorCode } from './ledger.errors';

const alice = A.customerAvailable('alice');
const aliceEscrow = A.customerEscrow('alice');
const usdc = A.external('usdc');

function ledgerWith(...accounts: string[]): Ledger {
  const ledger = new Ledger();
  for (const name of accounts) ledger.openAccount(name);
  return ledger;
}

function deposit(id: string, amountBaseUnits: bigint, atMs = 1): LedgerOperation {
  return { type: 'entry', id, atMs, legs: transferLegs(usdc, alice, 'USDC', amountBaseUnits) };
}

function codeOf(run: () => unknown): LedgerErrorCode | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof LedgerError) return error.code;
    throw error;
  }
  return undefined;
}

describe('assets', () => {
  it('formats and parses exact decimal amounts per asset', () => {
    expect(formatAmount('IO', 456_621_004_566n)).toBe('4566.21004566');
    expect(formatAmount('USDC', -1n)).toBe('-0.000001');
    expect(parseAmount('IO', '200')).toBe(20_000_000_000n);
    expect(parseAmount('USDC', '1.5')).toBe(1_500_000n);
    expect(() => parseAmount('USDC', '0.0000001')).toThrow(RangeError);
    expect(() => parseAmount('IO', '1e3')).toThrow(RangeError);
  });
});

describe('account names', () => {
  it('builds the architecture names and refuses segments that would break them', () => {
    expect(A.customerEscrow('c-1')).toBe('customer:c-1:escrow');
    expect(A.stakerRewards('Wa11et')).toBe('staker:Wa11et:rewards');
    expect(codeOf(() => A.supplierEarnings('a:b'))).toBe('LEDGER.INVALID_ACCOUNT_NAME');
    expect(codeOf(() => A.customerAvailable(''))).toBe('LEDGER.INVALID_ACCOUNT_NAME');
  });
});

describe('Ledger', () => {
  it('posts a balanced multi-leg entry and refuses an unbalanced one without changing anything', () => {
    const ledger = ledgerWith(usdc, alice, A.platformFees);
    ledger.submit(deposit('d1', 1_000n));
    const hashBefore = ledger.stateHash();
    const unbalanced: LedgerOperation = {
      type: 'entry',
      id: 'e2',
      atMs: 2,
      legs: [
        { account: alice, asset: 'USDC', side: 'debit', amountBaseUnits: 10n },
        { account: A.platformFees, asset: 'USDC', side: 'credit', amountBaseUnits: 9n },
      ],
    };
    expect(codeOf(() => ledger.submit(unbalanced))).toBe('LEDGER.UNBALANCED');
    expect(ledger.stateHash()).toBe(hashBefore);
    expect(ledger.sequence).toBe(1);
  });

  it('balances per asset, not across assets', () => {
    const ledger = ledgerWith(usdc, alice, A.external('io-market'));
    const mixed: LedgerOperation = {
      type: 'entry',
      id: 'mixed',
      atMs: 1,
      legs: [
        { account: usdc, asset: 'USDC', side: 'debit', amountBaseUnits: 5n },
        { account: alice, asset: 'IO', side: 'credit', amountBaseUnits: 5n },
      ],
    };
    expect(codeOf(() => ledger.submit(mixed))).toBe('LEDGER.UNBALANCED');
  });

  it('treats a repeated id with the same content as a no-op and with other content as a conflict', () => {
    const ledger = ledgerWith(usdc, alice);
    expect(ledger.submit(deposit('d1', 100n)).status).toBe('applied');
    expect(ledger.submit(deposit('d1', 100n))).toEqual({ status: 'duplicate', id: 'd1', sequence: 1 });
    expect(creditBalance(ledger.balance(alice, 'USDC'))).toBe(100n);
    expect(codeOf(() => ledger.submit(deposit('d1', 101n)))).toBe('LEDGER.ID_CONFLICT');
  });

  it('refuses to overdraw an account that must not go negative', () => {
    const ledger = ledgerWith(usdc, alice, aliceEscrow);
    ledger.submit(deposit('d1', 100n));
    const overdraw: LedgerOperation = { type: 'entry', id: 'x', atMs: 2, legs: transferLegs(alice, aliceEscrow, 'USDC', 101n) };
    expect(codeOf(() => ledger.submit(overdraw))).toBe('LEDGER.INSUFFICIENT_FUNDS');
    expect(creditBalance(ledger.balance(alice, 'USDC'))).toBe(100n);
  });

  it('enforces debits-only and credits-only accounts', () => {
    const ledger = ledgerWith(A.tokenGenesis, A.tokenBurned, A.external('io-market'));
    const market = A.external('io-market');
    ledger.submit({ type: 'entry', id: 'g', atMs: 1, legs: transferLegs(A.tokenGenesis, market, 'IO', 1_000n) });
    expect(codeOf(() => ledger.submit({ type: 'entry', id: 'back', atMs: 2, legs: transferLegs(market, A.tokenGenesis, 'IO', 1n) }))).toBe(
      'LEDGER.ACCOUNT_DEBITS_ONLY',
    );
    ledger.submit({ type: 'entry', id: 'burn', atMs: 3, legs: transferLegs(market, A.tokenBurned, 'IO', 10n) });
    expect(codeOf(() => ledger.submit({ type: 'entry', id: 'unburn', atMs: 4, legs: transferLegs(A.tokenBurned, market, 'IO', 1n) }))).toBe(
      'LEDGER.ACCOUNT_CREDITS_ONLY',
    );
  });

  it('refuses unknown accounts, non-positive amounts and single-leg entries', () => {
    const ledger = ledgerWith(usdc, alice);
    expect(codeOf(() => ledger.submit({ type: 'entry', id: 'a', atMs: 1, legs: transferLegs(usdc, 'customer:bob:available', 'USDC', 1n) }))).toBe(
      'LEDGER.ACCOUNT_NOT_FOUND',
    );
    expect(codeOf(() => ledger.submit(deposit('z', 0n)))).toBe('LEDGER.AMOUNT_NOT_POSITIVE');
    expect(codeOf(() => ledger.submit({ type: 'entry', id: 'one', atMs: 1, legs: [transferLegs(usdc, alice, 'USDC', 1n)[0]] }))).toBe(
      'LEDGER.TOO_FEW_LEGS',
    );
    expect(codeOf(() => ledger.openAccount(alice, accountFlags({})))).toBe('LEDGER.ACCOUNT_FLAGS_CONFLICT');
  });

  it('given an operation with a time that is not an integer millisecond or a leg with an unknown side, when submitted, then it is refused', () => {
    const ledger = ledgerWith(usdc, alice, aliceEscrow);
    // A NaN time would vanish from every "as of a time" view of the balances.
    expect(codeOf(() => ledger.submit(deposit('nan', 1n, Number.NaN)))).toBe('LEDGER.INVALID_TIME');
    expect(codeOf(() => ledger.submit(deposit('half', 1n, 1.5)))).toBe('LEDGER.INVALID_TIME');
    expect(codeOf(() => ledger.submit({ type: 'pending', id: 'p', atMs: Infinity, debitAccount: usdc, creditAccount: alice, asset: 'USDC', amountBaseUnits: 1n }))).toBe(
      'LEDGER.INVALID_TIME',
    );
    const sideways = { type: 'entry', id: 's', atMs: 1, legs: [{ account: usdc, asset: 'USDC', side: 'debit', amountBaseUnits: 1n }, { account: alice, asset: 'USDC', side: 'sideways', amountBaseUnits: 1n }] };
    expect(codeOf(() => ledger.submit(sideways as unknown as LedgerOperation))).toBe('LEDGER.INVALID_SIDE');
    expect(ledger.sequence).toBe(0);
  });

  describe('two-phase transfers', () => {
    function funded(): Ledger {
      const ledger = ledgerWith(usdc, alice, aliceEscrow);
      ledger.submit(deposit('d1', 1_000n));
      ledger.submit({ type: 'pending', id: 'p1', atMs: 2, debitAccount: alice, creditAccount: aliceEscrow, asset: 'USDC', amountBaseUnits: 600n });
      return ledger;
    }

    it('reserves the amount so it cannot be spent twice', () => {
      const ledger = funded();
      expect(ledger.balance(alice, 'USDC').debitsPendingBaseUnits).toBe(600n);
      const second: LedgerOperation = { type: 'pending', id: 'p2', atMs: 3, debitAccount: alice, creditAccount: aliceEscrow, asset: 'USDC', amountBaseUnits: 401n };
      expect(codeOf(() => ledger.submit(second))).toBe('LEDGER.INSUFFICIENT_FUNDS');
    });

    it('posts part of a pending transfer once and releases the rest', () => {
      const ledger = funded();
      ledger.submit({ type: 'post-pending', id: 'post1', atMs: 3, pendingId: 'p1', amountBaseUnits: 250n });
      expect(ledger.balance(alice, 'USDC')).toEqual({ debitsPostedBaseUnits: 250n, creditsPostedBaseUnits: 1_000n, debitsPendingBaseUnits: 0n, creditsPendingBaseUnits: 0n });
      expect(creditBalance(ledger.balance(aliceEscrow, 'USDC'))).toBe(250n);
      expect(codeOf(() => ledger.submit({ type: 'post-pending', id: 'post2', atMs: 4, pendingId: 'p1' }))).toBe('LEDGER.PENDING_ALREADY_POSTED');
      expect(codeOf(() => ledger.submit({ type: 'void-pending', id: 'void1', atMs: 4, pendingId: 'p1' }))).toBe('LEDGER.PENDING_ALREADY_POSTED');
      expect(ledger.pendingTransfer('p1')).toMatchObject({ status: 'posted', postedBaseUnits: 250n, resolvedBy: 'post1' });
    });

    it('voids a pending transfer once, and never posts more than was pending', () => {
      const ledger = funded();
      expect(codeOf(() => ledger.submit({ type: 'post-pending', id: 'big', atMs: 3, pendingId: 'p1', amountBaseUnits: 601n }))).toBe(
        'LEDGER.POST_EXCEEDS_PENDING',
      );
      ledger.submit({ type: 'void-pending', id: 'v', atMs: 3, pendingId: 'p1' });
      expect(creditBalance(ledger.balance(alice, 'USDC'))).toBe(1_000n);
      expect(ledger.balance(alice, 'USDC').debitsPendingBaseUnits).toBe(0n);
      expect(codeOf(() => ledger.submit({ type: 'void-pending', id: 'v2', atMs: 4, pendingId: 'p1' }))).toBe('LEDGER.PENDING_ALREADY_VOIDED');
      expect(codeOf(() => ledger.submit({ type: 'void-pending', id: 'v3', atMs: 4, pendingId: 'nope' }))).toBe('LEDGER.PENDING_NOT_FOUND');
    });
  });

  describe('linked batches', () => {
    it('apply all-or-nothing: a failing operation undoes the ones before it', () => {
      const ledger = ledgerWith(usdc, alice, aliceEscrow);
      const batch: LedgerOperation[] = [
        deposit('d1', 100n),
        { type: 'entry', id: 'lock', atMs: 1, legs: transferLegs(alice, aliceEscrow, 'USDC', 150n) },
      ];
      expect(codeOf(() => ledger.submitLinked(batch))).toBe('LEDGER.INSUFFICIENT_FUNDS');
      expect(ledger.sequence).toBe(0);
      expect(ledger.balances()).toEqual([]);
    });

    it('see the effects of earlier operations in the same batch, and replay as a no-op', () => {
      const ledger = ledgerWith(usdc, alice, aliceEscrow);
      const batch: LedgerOperation[] = [
        deposit('d1', 100n),
        { type: 'pending', id: 'p', atMs: 1, debitAccount: alice, creditAccount: aliceEscrow, asset: 'USDC', amountBaseUnits: 100n },
        { type: 'post-pending', id: 'pp', atMs: 1, pendingId: 'p' },
      ];
      expect(ledger.submitLinked(batch).map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
      expect(ledger.submitLinked(batch).map((r) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
      expect(creditBalance(ledger.balance(aliceEscrow, 'USDC'))).toBe(100n);
      expect(codeOf(() => ledger.submitLinked([deposit('d1', 100n), deposit('d9', 1n)]))).toBe('LEDGER.LINKED_PARTIAL_DUPLICATE');
      expect(codeOf(() => ledger.submitLinked([deposit('d7', 1n), deposit('d7', 1n)]))).toBe('LEDGER.ID_CONFLICT');
    });
  });

  it('answers balances as of a sequence or a time', () => {
    const ledger = ledgerWith(usdc, alice);
    ledger.submit(deposit('d1', 100n, 10));
    ledger.submit(deposit('d2', 50n, 20));
    expect(creditBalance(ledger.balance(alice, 'USDC', { sequence: 1 }))).toBe(100n);
    expect(creditBalance(ledger.balance(alice, 'USDC', { atMs: 19 }))).toBe(100n);
    expect(creditBalance(ledger.balance(alice, 'USDC', { atMs: 20 }))).toBe(150n);
    expect(ledger.balances({ sequence: 0 })).toEqual([]);
    expect(ledger.stateHash({ sequence: 2 })).toBe(ledger.stateHash());
    expect(ledger.stateHash({ sequence: 1 })).not.toBe(ledger.stateHash());
  });

  it('hashes equal balances equally regardless of the order accounts were opened', () => {
    const one = ledgerWith(usdc, alice);
    const two = ledgerWith(alice, usdc);
    one.submit(deposit('a', 7n));
    two.submit(deposit('b', 7n));
    expect(one.stateHash()).toBe(two.stateHash());
    expect(one.stateHash()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rebuilds from its log to the same state hash with no violations', () => {
    const ledger = ledgerWith(usdc, alice, aliceEscrow);
    ledger.submit(deposit('d1', 100n));
    ledger.submit({ type: 'pending', id: 'p', atMs: 2, debitAccount: alice, creditAccount: aliceEscrow, asset: 'USDC', amountBaseUnits: 30n });
    const rebuilt = Ledger.restore(ledger.export());
    expect(rebuilt.stateHash()).toBe(ledger.stateHash());
    expect(rebuilt.checkInvariants({ full: true })).toEqual([]);
    expect(ledger.checkInvariants()).toEqual([]);
  });

  it('reports every violation of a tampered log, not just the first', () => {
    const ledger = ledgerWith(usdc, alice, aliceEscrow);
    ledger.submit(deposit('d1', 100n));
    ledger.submit({ type: 'entry', id: 'lock', atMs: 2, legs: transferLegs(alice, aliceEscrow, 'USDC', 40n) });
    const snapshot = ledger.export();
    const tampered = {
      accounts: snapshot.accounts,
      records: snapshot.records.map((r) =>
        r.operation.id === 'd1'
          ? { ...r, deltas: [r.deltas[0], { ...r.deltas[1], creditsPostedBaseUnits: 90n }] }
          : { ...r, deltas: [{ ...r.deltas[0], debitsPostedBaseUnits: 140n }, { ...r.deltas[1], creditsPostedBaseUnits: 140n }] },
      ),
    };
    const codes = Ledger.restore(tampered)
      .checkInvariants({ full: true })
      .map((v) => v.code);
    expect(codes).toEqual(
      expect.arrayContaining(['LEDGER.INVARIANT.UNBALANCED_RECORD', 'LEDGER.INVARIANT.FLAG_VIOLATED', 'LEDGER.INVARIANT.TOTALS_UNBALANCED']),
    );
    expect(codes.length).toBeGreaterThanOrEqual(3);
  });
});

describe('Ledger (issue 16 defects)', () => {
  const fees = A.platformFees;
  const bank = A.external('bank');
  const c1 = A.customerAvailable('c1');

  it('given an applied entry, when it is resubmitted with its properties and legs in another order, then it is a duplicate, not an id conflict', () => {
    const ledger = ledgerWith(usdc, alice, fees);
    const original: LedgerOperation = {
      type: 'entry',
      id: 'e1',
      atMs: 5,
      memo: 'lease 7',
      legs: [
        { account: usdc, asset: 'USDC', side: 'debit', amountBaseUnits: 100n },
        { account: alice, asset: 'USDC', side: 'credit', amountBaseUnits: 90n },
        { account: fees, asset: 'USDC', side: 'credit', amountBaseUnits: 10n },
      ],
    };
    ledger.submit(original);
    const reordered = {
      legs: [
        { amountBaseUnits: 10n, side: 'credit', asset: 'USDC', account: fees },
        { side: 'debit', amountBaseUnits: 100n, account: usdc, asset: 'USDC' },
        { asset: 'USDC', account: alice, amountBaseUnits: 90n, side: 'credit' },
      ],
      memo: 'lease 7',
      atMs: 5,
      id: 'e1',
      type: 'entry',
    } as LedgerOperation;
    expect(ledger.submit(reordered)).toEqual({ status: 'duplicate', id: 'e1', sequence: 1 });
    expect(codeOf(() => ledger.submit({ ...original, memo: 'lease 8' }))).toBe('LEDGER.ID_CONFLICT');
    expect(ledger.sequence).toBe(1);
  });

  it('given an empty must-not-go-negative account, when one entry debits it before it credits it, then the entry is applied: flags hold after all legs', () => {
    const debitFirst: LedgerOperation = {
      type: 'entry',
      id: 'e',
      atMs: 1,
      legs: [
        { account: c1, asset: 'USDC', side: 'debit', amountBaseUnits: 100n },
        { account: fees, asset: 'USDC', side: 'credit', amountBaseUnits: 100n },
        { account: bank, asset: 'USDC', side: 'debit', amountBaseUnits: 100n },
        { account: c1, asset: 'USDC', side: 'credit', amountBaseUnits: 100n },
      ],
    };
    const one = ledgerWith(c1, fees, bank);
    expect(one.submit(debitFirst).status).toBe('applied');
    const two = ledgerWith(c1, fees, bank);
    two.submit({ ...debitFirst, legs: [...debitFirst.legs].reverse() });
    expect(one.stateHash()).toBe(two.stateHash());
    expect(creditBalance(one.balance(c1, 'USDC'))).toBe(0n);
    // Still refused when the account ends below zero, whatever the order.
    const overdraw: LedgerOperation = { ...debitFirst, id: 'x', legs: [...transferLegs(c1, fees, 'USDC', 101n), ...transferLegs(bank, c1, 'USDC', 100n)] };
    expect(codeOf(() => one.submit(overdraw))).toBe('LEDGER.INSUFFICIENT_FUNDS');
    expect(one.checkInvariants()).toEqual([]);
  });

  it('given an operation at t=100, when an operation timed earlier arrives, then it is refused, so no as-of view shows a state the ledger never had', () => {
    const ledger = ledgerWith(usdc, alice, aliceEscrow);
    ledger.submit(deposit('fund', 100n, 100));
    expect(codeOf(() => ledger.submit({ type: 'entry', id: 'out', atMs: 50, legs: transferLegs(alice, aliceEscrow, 'USDC', 100n) }))).toBe('LEDGER.TIME_REGRESSED');
    expect(creditBalance(ledger.balance(alice, 'USDC', { atMs: 75 }))).toBe(0n);
    ledger.submit({ type: 'pending', id: 'p', atMs: 100, debitAccount: alice, creditAccount: aliceEscrow, asset: 'USDC', amountBaseUnits: 40n });
    expect(codeOf(() => ledger.submit({ type: 'post-pending', id: 'pp', atMs: 50, pendingId: 'p' }))).toBe('LEDGER.TIME_REGRESSED');
    expect(codeOf(() => ledger.submitLinked([deposit('a', 1n, 120), deposit('b', 1n, 110)]))).toBe('LEDGER.TIME_REGRESSED');
    // Equal times are fine, and a resubmission of an old operation is still a no-op.
    expect(ledger.submit({ type: 'post-pending', id: 'pp', atMs: 100, pendingId: 'p' }).status).toBe('applied');
    expect(ledger.submit(deposit('fund', 100n, 100)).status).toBe('duplicate');
    for (const atMs of [0, 99, 100, 101]) {
      for (const row of ledger.balances({ atMs })) {
        expect([row.debitsPendingBaseUnits, row.creditsPendingBaseUnits].every((v) => v >= 0n)).toBe(true);
      }
    }
  });

  it('given a restored log whose times go backwards, when checked, then the regression is reported', () => {
    const ledger = ledgerWith(usdc, alice);
    ledger.submit(deposit('d1', 1n, 10));
    ledger.submit(deposit('d2', 1n, 20));
    const snapshot = ledger.export();
    const tampered = { accounts: snapshot.accounts, records: snapshot.records.map((r) => (r.sequence === 2 ? { ...r, operation: { ...r.operation, atMs: 5 } } : r)) };
    expect(Ledger.restore(tampered).checkInvariants({ full: true }).map((v) => v.code)).toEqual(['LEDGER.INVARIANT.TIME_REGRESSED']);
  });

  it('given a ledger, when a caller changes what flagsOf, export, records or its own operation returned or passed, then the ledger is unchanged', () => {
    const ledger = ledgerWith(usdc, alice, aliceEscrow);
    const op: { type: 'entry'; id: string; atMs: number; legs: Leg[] } = { type: 'entry', id: 'd1', atMs: 1, legs: transferLegs(usdc, alice, 'USDC', 5n) };
    ledger.submit(op);
    const hash = ledger.stateHash();
    const tryTo = (change: () => void) => {
      try {
        change();
      } catch {
        // A frozen value refuses the change: as good as a copy.
      }
    };
    tryTo(() => ((ledger.flagsOf(alice) as { debitsMustNotExceedCredits: boolean }).debitsMustNotExceedCredits = false));
    const snapshot = ledger.export();
    tryTo(() => ((snapshot.accounts.find((a) => a.name === alice)!.flags as { debitsMustNotExceedCredits: boolean }).debitsMustNotExceedCredits = false));
    tryTo(() => ((snapshot.records as LedgerRecord[]).push(snapshot.records[0])));
    tryTo(() => ((ledger.records() as LedgerRecord[]).length = 0));
    op.legs[0] = { account: usdc, asset: 'USDC', side: 'debit', amountBaseUnits: 999n };
    op.id = 'changed';
    expect(ledger.flagsOf(alice)!.debitsMustNotExceedCredits).toBe(true);
    expect(ledger.records()).toHaveLength(1);
    expect(ledger.records()[0].operation).toMatchObject({ id: 'd1', legs: [expect.objectContaining({ amountBaseUnits: 5n }), expect.anything()] });
    const overdraw: LedgerOperation = { type: 'entry', id: 'x', atMs: 2, legs: transferLegs(alice, aliceEscrow, 'USDC', 10n) };
    expect(codeOf(() => ledger.submit(overdraw))).toBe('LEDGER.INSUFFICIENT_FUNDS');
    expect(ledger.stateHash()).toBe(hash);
    expect(ledger.checkInvariants({ full: true })).toEqual([]);
    expect(ledger.submit({ type: 'entry', id: 'd1', atMs: 1, legs: transferLegs(usdc, alice, 'USDC', 5n) }).status).toBe('duplicate');
  });

  it('given a restored ledger, when the snapshot it came from is changed afterwards, then the ledger is unchanged', () => {
    const ledger = ledgerWith(usdc, alice);
    ledger.submit(deposit('d1', 5n));
    const snapshot = ledger.export();
    const copy = { accounts: snapshot.accounts.map((a) => ({ name: a.name, flags: { ...a.flags } })), records: snapshot.records.map((r) => ({ ...r, deltas: r.deltas.map((d) => ({ ...d })) })) };
    const restored = Ledger.restore(copy);
    const hash = restored.stateHash();
    copy.accounts[0].flags.debitsMustNotExceedCredits = !copy.accounts[0].flags.debitsMustNotExceedCredits;
    copy.records[0].deltas[0].creditsPostedBaseUnits = 77n;
    expect(restored.flagsOf(copy.accounts[0].name)!.debitsMustNotExceedCredits).toBe(!copy.accounts[0].flags.debitsMustNotExceedCredits);
    expect(restored.checkInvariants({ full: true })).toEqual([]);
    expect(restored.stateHash()).toBe(hash);
  });
});

describe('Ledger refusals with stable codes (issue 16)', () => {
  it('given an operation of a type the ledger does not know, when submitted, then it is refused with a code instead of a plain error', () => {
    const ledger = ledgerWith(usdc, alice);
    const unknown = { type: 'transfer', id: 't', atMs: 1 } as unknown as LedgerOperation;
    expect(codeOf(() => ledger.submit(unknown))).toBe('LEDGER.UNKNOWN_OPERATION');
    expect(ledger.sequence).toBe(0);
  });

  it('given a pending transfer, when a caller gets it, then it cannot change the ledger through it', () => {
    const ledger = ledgerWith(usdc, alice, aliceEscrow);
    ledger.submit(deposit('d1', 100n));
    ledger.submit({ type: 'pending', id: 'p', atMs: 2, debitAccount: alice, creditAccount: aliceEscrow, asset: 'USDC', amountBaseUnits: 30n });
    const p = ledger.pendingTransfer('p')!;
    expect(Object.isFrozen(p)).toBe(true);
    expect(ledger.lastAtMs).toBe(2);
  });
});
