// The partner guide's flow (docs/partner-guide.md) as one program: type-checked with the client
// (`npx tsc -b`), so the guide cannot drift from the API. Run against `npm start`:
//   IONET_API_KEY=$(cat .local/ops-api-key) node -r ./libs/testing/src/ts-register.cjs libs/client/examples/partner-flow.ts
import { allPages, createIonetClient, IonetProblemError, newIdempotencyKey, unwrap } from '@ionet/client';

async function main(): Promise<void> {
  const baseUrl = process.env.IONET_API_URL ?? 'http://127.0.0.1:4000';
  const ops = createIonetClient({ baseUrl, apiKey: process.env.IONET_API_KEY });

  // 1. An organization for the partner and its key (ops does this once per partner).
  const org = unwrap(await ops.POST('/v1/organizations', { params: { header: { 'Idempotency-Key': newIdempotencyKey() } }, body: { name: 'Example Partner', kind: 'customer' } }));
  const { key } = unwrap(await ops.POST('/v1/organizations/{organizationId}/api-keys', { params: { path: { organizationId: org.organizationId } }, body: { scopes: ['customer'] } }));
  const api = createIonetClient({ baseUrl, apiKey: key });
  console.log('me', unwrap(await api.GET('/v1/me')));

  // 2. What is for rent: models and prices, then offers filtered like a GPU buyer filters.
  const hardware = unwrap(await api.GET('/v1/hardware'));
  console.log('hardware', hardware);
  for await (const offer of allPages((cursor) => api.GET('/v1/offers', { params: { query: { gpuModel: 'H100-80GB', sort: 'price', limit: 50, ...(cursor ? { cursor } : {}) } } }).then(unwrap))) {
    console.log('offer', offer);
  }

  // 3. Money in (a test deposit by ops here; on chain in production), then a quote that holds devices.
  unwrap(await ops.POST('/v1/deposits', { params: { header: { 'Idempotency-Key': newIdempotencyKey() } }, body: { organizationId: org.organizationId, asset: 'USDC', amountBaseUnits: '1000000000' } }));
  try {
    const quote = unwrap(
      await api.POST('/v1/quotes', { params: { header: { 'Idempotency-Key': newIdempotencyKey() } }, body: { clusterType: 'ray', gpuModel: 'H100-80GB', gpuCount: 8, durationHours: 2, paymentAsset: 'USDC' } }),
    );
    // 4. The cluster from the quote: funded from the balance, then its jobs run on the suppliers' agents.
    const cluster = unwrap(await api.POST('/v1/clusters', { params: { header: { 'Idempotency-Key': newIdempotencyKey() } }, body: { quoteId: quote.quoteId, name: 'train-1', image: 'rayproject/ray:2.9.0' } }));
    console.log('cluster', cluster, unwrap(await api.GET('/v1/clusters/{clusterId}/workers', { params: { path: { clusterId: cluster.clusterId } } })));
  } catch (err) {
    // 422 MATCHING.UNMATCHABLE carries the explain: what each filter left and what would place it now.
    if (err instanceof IonetProblemError && err.code === 'MATCHING.UNMATCHABLE') console.log('not placeable now', err.problem);
    else throw err;
  }

  // 5. Webhooks: a signed POST to your endpoint for each event type you choose (verify with verifyWebhook).
  const endpoint = unwrap(await api.POST('/v1/webhook-endpoints', { body: { url: 'https://hooks.example.com/ionet', eventTypes: ['cluster.funded', 'cluster.hour_charged', 'invoice.issued'] } }));
  console.log('webhook secret (shown once)', endpoint.secret);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
