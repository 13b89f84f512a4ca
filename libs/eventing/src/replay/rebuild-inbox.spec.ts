import { RebuildInbox } from './rebuild-inbox';
import type { EventingTransaction, TransactionRunner } from '../support/sql-executor';

/** Records the ids the inbox copies to the table. */
function recordingTransactions(): TransactionRunner & { copied: string[] } {
  const copied: string[] = [];
  const tx = {
    async query(_text: string, values?: unknown[]) {
      copied.push(...String(values![1]).split(','));
      return { rows: [], rowCount: 0 };
    },
  } as EventingTransaction;
  return { copied, transaction: (work) => work(tx) };
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('RebuildInbox', () => {
  it('applies each id once across batches and within one, and remembers only committed batches', async () => {
    const transactions = recordingTransactions();
    const inbox = new RebuildInbox({ transactions, scope: 's', logger: quiet });
    const first = (await inbox.claim(['a', 'b', 'a']))!;
    expect([...first.fresh]).toEqual(['a', 'b']);
    first.settle(false);
    const again = (await inbox.claim(['a', 'b']))!;
    expect([...again.fresh]).toEqual(['a', 'b']);
    again.release('b');
    again.settle(true);
    expect([...(await inbox.claim(['a', 'b', 'c']))!.fresh]).toEqual(['b', 'c']);
  });

  it('makes a batch that meets an id reserved by another wait for that batch to end', async () => {
    const inbox = new RebuildInbox({ transactions: recordingTransactions(), scope: 's', logger: quiet });
    const first = (await inbox.claim(['a']))!;
    let secondFresh: string[] | undefined;
    const second = inbox.claim(['a', 'b']).then((c) => (secondFresh = [...c!.fresh]));
    await new Promise((r) => setImmediate(r));
    expect(secondFresh).toBeUndefined();
    first.settle(true);
    await second;
    expect(secondFresh).toEqual(['b']);
  });

  it('copies every committed id on flush, and past its limit hands over to the table', async () => {
    const transactions = recordingTransactions();
    const inbox = new RebuildInbox({ transactions, scope: 's', idsMax: 3, copyChunkSize: 2, logger: quiet });
    (await inbox.claim(['a', 'b']))!.settle(true);
    (await inbox.claim(['c']))!.settle(true);
    expect(await inbox.claim(['d'])).toBeUndefined();
    expect(transactions.copied.sort()).toEqual(['a', 'b', 'c']);
    expect(await inbox.claim(['a'])).toBeUndefined();
    await inbox.flush();
    expect(transactions.copied).toHaveLength(3);
  });
});
