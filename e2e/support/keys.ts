import { hashApiKey } from '@ionet/platform';
import { testConnections, waitFor } from '@ionet/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { RunningStack } from './stack-launcher';
import { gatewayClient } from './gateway-client';

export interface IssuedKey {
  key: string;
  keyId: string;
  /** The organization (tenant) the key acts for. */
  tenantId: string;
}

/** Where the scenario's keys come from: billing's API when billing runs, else a fixture. */
export interface KeyIssuer {
  readonly mode: 'billing' | 'fixture';
  organizationWithKey(name: string, kind: 'customer' | 'supplier' | 'partner_network', scope: string): Promise<IssuedKey>;
  revoke(key: IssuedKey): Promise<void>;
}

export function keyIssuer(stack: RunningStack): KeyIssuer {
  return stack.has('billing') ? billingIssuer(stack) : fixtureIssuer(stack);
}

/** The real flow: an organization and its key created through the gateway with the ops key. */
function billingIssuer(stack: RunningStack): KeyIssuer {
  const ops = gatewayClient(stack.gatewayUrl, stack.opsKey);
  return {
    mode: 'billing',
    async organizationWithKey(name, kind, scope) {
      const org = await ops.call('POST', '/v1/organizations', { name, kind });
      if (org.status !== 201) throw new Error(`POST /v1/organizations answered ${org.status}: ${JSON.stringify(org.body)}`);
      const organizationId = org.body.organizationId as string;
      const created = await ops.call('POST', `/v1/organizations/${organizationId}/api-keys`, { scopes: [scope] });
      if (created.status !== 201) throw new Error(`POST api-keys answered ${created.status}: ${JSON.stringify(created.body)}`);
      const key = created.body.key as string;
      // A key is live once each service's projection of billing's events holds it (seconds).
      const caller = gatewayClient(stack.gatewayUrl, key);
      await waitFor(`the new ${scope} key accepted by billing and inventory`, async () => {
        const [me, devices] = await Promise.all([caller.call('GET', '/v1/me'), caller.call('GET', '/v1/devices?limit=1')]);
        return me.status === 200 && devices.status === 200 ? true : undefined;
      });
      return { key, keyId: created.body.apiKeyId as string, tenantId: organizationId };
    },
    async revoke(key) {
      const res = await ops.call('DELETE', `/v1/api-keys/${key.keyId}`);
      if (res.status >= 300) throw new Error(`DELETE /v1/api-keys answered ${res.status}: ${JSON.stringify(res.body)}`);
    },
  };
}

/**
 * Until billing is on main: the key rows every service would project from billing's events, written
 * straight into each running service's `api_keys` table (the shape libs/platform reads today).
 */
function fixtureIssuer(stack: RunningStack): KeyIssuer {
  const sql = async (text: string, values: unknown[]) => {
    const client = new Client({ connectionString: testConnections().postgresUrl });
    await client.connect();
    try {
      for (const schema of Object.values(stack.schemas)) await client.query(text.replaceAll('api_keys', `"${schema}".api_keys`), values);
    } finally {
      await client.end();
    }
  };
  return {
    mode: 'fixture',
    async organizationWithKey(name, _kind, scope) {
      const tenantId = `org-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${randomBytes(3).toString('hex')}`;
      const key = `ionet_${scope}_${randomBytes(32).toString('base64url')}`;
      const keyId = randomUUID();
      await sql('insert into api_keys (id, key_hash, display_prefix, tenant_id, scopes, label) values ($1, $2, $3, $4, $5, $6)', [
        keyId,
        hashApiKey(key),
        key.slice(0, 16),
        tenantId,
        [scope],
        'e2e fixture',
      ]);
      return { key, keyId, tenantId };
    },
    async revoke(key) {
      await sql('update api_keys set revoked_at = now() where id = $1', [key.keyId]);
    },
  };
}
