import { leasingV1 } from '@ionet/contracts';
import { defineProjection, on } from '@ionet/eventing';

export const CLUSTERS = 'leasing_clusters';

/**
 * The customer's list of clusters (`GET /v1/clusters?status`) from leasing's own events; one
 * cluster's full view is read from its stream. Guarded by the stream version: a stale or repeated
 * delivery changes nothing.
 */
export const clustersProjection = defineProjection({
  name: CLUSTERS,
  version: 1,
  consumerGroup: 'leasing.clusters',
  contexts: ['leasing'],
  tables: [
    {
      name: 'clusters',
      columnsSql: `lease_id text not null, customer_id text not null, status text not null, created_at timestamptz not null, version bigint not null`,
      primaryKey: ['lease_id'],
    },
  ],
  handlers: [
    on(leasingV1.LeaseCreatedSchema, async (e, m, ctx) => {
      await ctx.tx.query(`insert into ${ctx.table('clusters')} (lease_id, customer_id, status, created_at, version) values ($1, $2, 'awaiting_payment', $3, $4) on conflict (lease_id) do nothing`, [
        e.leaseId,
        e.customerId,
        e.createdAt,
        m.aggregateVersion.toString(),
      ]);
    }),
    on(leasingV1.LeaseActivatedSchema, async (e, m, ctx) => setStatus(ctx, e.leaseId, 'deploying', m.aggregateVersion)),
    on(leasingV1.LeaseJobsStartedSchema, async (e, m, ctx) => setStatus(ctx, e.leaseId, 'running', m.aggregateVersion)),
    on(leasingV1.LeaseDeviceReplacedSchema, async (e, m, ctx) => {
      await ctx.tx.query(`update ${ctx.table('clusters')} set status = 'deploying', version = $2 where lease_id = $1 and version < $2 and status = 'running'`, [e.leaseId, m.aggregateVersion.toString()]);
    }),
    on(leasingV1.LeaseTerminatedSchema, async (e, m, ctx) =>
      setStatus(ctx, e.leaseId, e.reason === 'completed' ? 'completed' : e.reason === 'device_failure' ? 'failed' : 'terminated', m.aggregateVersion),
    ),
  ],
});

async function setStatus(ctx: { tx: { query(sql: string, params: unknown[]): Promise<unknown> }; table(name: string): string }, leaseId: string, status: string, version: bigint): Promise<void> {
  await ctx.tx.query(`update ${ctx.table('clusters')} set status = $2, version = $3 where lease_id = $1 and version < $3`, [leaseId, status, version.toString()]);
}
