// A process that opens the embedded chain gateway and runs transfers, killing itself with SIGKILL
// at the point the test names: before or after the send of one operation. Arguments in CHAIN_CRASH_PLAN.
import { Pool } from 'pg';
import { chainConfigSchema, CUSTODY, openChainGateway } from '../../src';

interface CrashPlan {
  readonly dataDir: string;
  readonly postgresUrl: string;
  readonly schema: string;
  readonly wallet: string;
  readonly transfers: number;
  readonly amountBaseUnits: string;
  readonly crashAt: 'beforeSubmit' | 'afterSubmit';
  readonly crashOperationId: string;
  readonly snapshotEveryTransactions: number;
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.env.CHAIN_CRASH_PLAN ?? '') as CrashPlan;
  const pool = new Pool({ connectionString: plan.postgresUrl, options: `-c search_path=${plan.schema}`, max: 2 });
  const die = (operationId: string) => {
    if (operationId === plan.crashOperationId) process.kill(process.pid, 'SIGKILL');
  };
  const gateway = await openChainGateway(chainConfigSchema.parse({ CHAIN_DATA_DIR: plan.dataDir }), {
    pool,
    schema: plan.schema,
    hooks: plan.crashAt === 'beforeSubmit' ? { beforeSubmit: die } : { afterSubmit: die },
    embedded: { snapshotEveryTransactions: plan.snapshotEveryTransactions },
  });
  for (let i = 1; i <= plan.transfers; i += 1) {
    await gateway.transfer({ operationId: `crash-transfer-${i}`, asset: 'IO', from: { custody: CUSTODY.genesis }, to: { wallet: plan.wallet }, amountBaseUnits: BigInt(plan.amountBaseUnits) });
  }
  process.stdout.write('finished without crashing\n');
  await gateway.close();
  await pool.end();
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
