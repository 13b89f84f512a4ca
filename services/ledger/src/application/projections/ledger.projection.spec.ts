import { AccountNames } from '@ionet/ledger';
import { copyField, legsJson } from './ledger.projection';
import type { Posting } from '../../domain/postings/ledger-postings';

describe('the rebuild COPY path writes what the live path writes (ADR 0331)', () => {
  it('writes the legs as the JSON the live path stringifies (the same jsonb)', () => {
    const legs: Posting['legs'] = [
      { account: AccountNames.customerEscrow('c-1'), asset: 'USDC', side: 'debit', amountBaseUnits: 1_000_000n },
      { account: AccountNames.supplierEarnings('s-1'), asset: 'USDC', side: 'credit', amountBaseUnits: 977_500n },
      { account: AccountNames.platformFees, asset: 'USDC', side: 'credit', amountBaseUnits: 22_500n },
      { account: 'token:minted', asset: 'IO', side: 'debit', amountBaseUnits: 123_456_789_012_345_678_901_234_567_890n },
    ];
    const live = JSON.stringify(legs.map((l) => ({ account: l.account, asset: l.asset, side: l.side, amountBaseUnits: l.amountBaseUnits.toString() })));
    expect(legsJson(legs)).toBe(live);
    expect(JSON.parse(legsJson(legs.slice(0, 1)))).toEqual([{ account: 'customer:c-1:escrow', asset: 'USDC', side: 'debit', amountBaseUnits: '1000000' }]);
  });

  it('escapes the characters COPY text reads specially and leaves everything else as it is', () => {
    expect(copyField('charge chg-1: lease l-1 hour 3')).toBe('charge chg-1: lease l-1 hour 3');
    expect(copyField('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyField('\\N')).toBe('\\\\N');
    expect(copyField('é € 😀 "quoted"')).toBe('é € 😀 "quoted"');
  });
});
