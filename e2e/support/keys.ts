import { waitFor } from '@ionet/testing';
import type { RunningStack } from './stack-launcher';
import { gatewayClient } from './gateway-client';

export interface IssuedKey {
  key: string;
  keyId: string;
  /** The organization (tenant) the key acts for. */
  tenantId: string;
}

/** Where a scenario's keys come from: billing's API, through the gateway, with the ops key. */
export interface KeyIssuer {
  organizationWithKey(name: string, kind: 'customer' | 'supplier' | 'partner_network', scope: string): Promise<IssuedKey>;
  revoke(key: IssuedKey): Promise<void>;
}

/** A read each service answers for any valid key: how a scenario sees that a service knows a key. */
const KEY_PROBES: Record<string, string> = {
  inventory: '/v1/devices?limit=1',
  billing: '/v1/me',
  webhooks: '/v1/webhook-endpoints?limit=1',
  matching: '/v1/hardware',
  tokenomics: '/v1/epochs/1',
};
/** Keys are issued as events; each service's projection learns them within seconds. */
const KEY_PROPAGATION_MS = 20_000;

/** Resolves once every running service that has a probe accepts the key (through the gateway). */
export async function acceptedEverywhere(stack: RunningStack, key: string): Promise<void> {
  const client = gatewayClient(stack.gatewayUrl, key);
  const probes = Object.entries(KEY_PROBES).filter(([service]) => stack.has(service));
  await waitFor(
    `the key accepted by ${probes.map(([s]) => s).join(', ')}`,
    async () => {
      for (const [, path] of probes) if ((await client.call('GET', path)).status === 401) return undefined;
      return true;
    },
    KEY_PROPAGATION_MS,
    200,
  );
}

export function keyIssuer(stack: RunningStack): KeyIssuer {
  // Keys exist only as billing's events (every service projects them): no billing, no keys.
  if (!stack.has('billing')) throw new Error('the scenario needs billing: it issues the organizations and their keys');
  return billingIssuer(stack);
}

/** The real flow: an organization and its key created through the gateway with the ops key. */
function billingIssuer(stack: RunningStack): KeyIssuer {
  const ops = gatewayClient(stack.gatewayUrl, stack.opsKey);
  return {
    async organizationWithKey(name, kind, scope) {
      const org = await ops.call('POST', '/v1/organizations', { name, kind });
      if (org.status !== 201) throw new Error(`POST /v1/organizations answered ${org.status}: ${JSON.stringify(org.body)}`);
      const organizationId = org.body.organizationId as string;
      const created = await ops.call('POST', `/v1/organizations/${organizationId}/api-keys`, { scopes: [scope] });
      if (created.status !== 201) throw new Error(`POST api-keys answered ${created.status}: ${JSON.stringify(created.body)}`);
      const issued = { key: created.body.key as string, keyId: created.body.apiKeyId as string, tenantId: organizationId };
      await acceptedEverywhere(stack, issued.key);
      return issued;
    },
    async revoke(key) {
      const res = await ops.call('DELETE', `/v1/api-keys/${key.keyId}`);
      if (res.status >= 300) throw new Error(`DELETE /v1/api-keys answered ${res.status}: ${JSON.stringify(res.body)}`);
    },
  };
}
