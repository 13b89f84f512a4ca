import { matchingV1 } from '@ionet/contracts';
import { defineProjection, on } from '@ionet/eventing';

export const QUOTES = 'leasing_quotes';

/**
 * Matching's quotes (ClusterMatched, with their reservations) and the cluster type of their
 * requests (ClusterRequested): what `POST /v1/clusters` turns into a lease. Both facts of a request
 * share its partition (keyed by the request id); every write is idempotent, and either order works.
 */
export const quotesProjection = defineProjection({
  name: QUOTES,
  version: 1,
  consumerGroup: 'leasing.quotes',
  contexts: ['matching'],
  tables: [
    { name: 'requests', columnsSql: `request_id text not null, customer_id text not null, cluster_type text not null`, primaryKey: ['request_id'] },
    {
      name: 'quotes',
      columnsSql: `quote_id text not null, request_id text not null, customer_id text not null, reservations jsonb not null, duration_hours int not null,
        compute_price numeric not null, reservation_fee numeric not null, payment_fee numeric not null, total_price numeric not null, asset text not null,
        expires_at timestamptz not null, matched_at timestamptz not null`,
      primaryKey: ['quote_id'],
    },
  ],
  handlers: [
    on(matchingV1.ClusterRequestedSchema, async (e, _m, ctx) => {
      await ctx.tx.query(`insert into ${ctx.table('requests')} (request_id, customer_id, cluster_type) values ($1, $2, $3) on conflict (request_id) do nothing`, [
        e.requestId,
        e.customerId,
        e.clusterType,
      ]);
    }),
    on(matchingV1.ClusterMatchedSchema, async (e, _m, ctx) => {
      // The match names its cluster type (its request as placed); older matches did not.
      if (e.clusterType) {
        await ctx.tx.query(`insert into ${ctx.table('requests')} (request_id, customer_id, cluster_type) values ($1, $2, $3) on conflict (request_id) do nothing`, [
          e.requestId,
          e.customerId,
          e.clusterType,
        ]);
      }
      const reservations = e.reservations.map((r) => ({
        ...(r.role ? { role: r.role } : {}),
        deviceId: r.deviceId,
        supplierId: r.supplierId,
        gpuCount: r.gpuCount,
        priceBaseUnits: r.pricePerGpuHour!.amountBaseUnits.toString(),
        asset: r.pricePerGpuHour!.asset,
      }));
      await ctx.tx.query(
        `insert into ${ctx.table('quotes')} (quote_id, request_id, customer_id, reservations, duration_hours, compute_price, reservation_fee, payment_fee, total_price, asset, expires_at, matched_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) on conflict (quote_id) do nothing`,
        [
          e.quoteId,
          e.requestId,
          e.customerId,
          JSON.stringify(reservations),
          e.durationHours,
          e.computePrice!.amountBaseUnits.toString(),
          e.reservationFee!.amountBaseUnits.toString(),
          e.paymentFee!.amountBaseUnits.toString(),
          e.totalPrice!.amountBaseUnits.toString(),
          e.totalPrice!.asset,
          e.quoteExpiresAt,
          e.matchedAt,
        ],
      );
    }),
  ],
});
