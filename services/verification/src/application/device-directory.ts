import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, PG_POOL, ProblemError, REDIS } from '@ionet/platform';
import { resolveGpuModel } from '@ionet/tokenomics';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import type { VerificationConfig } from '../verification.config';

export interface KnownDevice {
  deviceId: string;
  supplierId: string;
  tenantId: string;
  agentPublicKey: string;
  deviceClass: string;
  gpuModel: string | null;
  /** The catalogue's canonical name of the GPU model, or null (CPU device, or not in the catalogue). */
  canonicalGpuModel: string | null;
  gpuVramMib: number | null;
  gpuCount: number;
  simulated: boolean;
  connectivityTier: string;
  payoutWallet: string;
  status: string;
}

interface DeviceRow {
  device_id: string;
  supplier_id: string;
  tenant_id: string;
  agent_public_key: string;
  device_class: string;
  gpu_model: string | null;
  gpu_vram_mib: number | null;
  gpu_count: number;
  simulated: boolean;
  connectivity_tier: string;
  payout_wallet: string;
  status: string;
}

/** Answers cached per agent key: the registry changes rarely and every agent request asks. */
const CACHE_TTL_MS = 5_000;
const CACHE_ENTRIES_MAX = 100_000;
/** Retry-After of the "not yet known" answer (seconds). */
export const UNKNOWN_DEVICE_RETRY_AFTER_S = 2;

/**
 * Which enrolled device an agent key is (the device registry projection of inventory's events).
 * An agent enrolls at inventory and calls here moments later, possibly before DeviceRegistered has
 * arrived: for VERIFICATION_UNKNOWN_DEVICE_GRACE_MS after a key is first seen unknown, the answer is
 * a retryable 503 AGENT.DEVICE_NOT_YET_KNOWN with Retry-After; after it, a final 403
 * AGENT.UNKNOWN_DEVICE (ADR 0410). The first sighting is kept in Redis, so every instance agrees.
 */
@Injectable()
export class DeviceDirectory {
  private readonly cache = new Map<string, { device: KnownDevice; expiresAtMs: number }>();
  private readonly firstSeenPrefix: string;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CONFIG) private readonly config: VerificationConfig,
  ) {
    this.firstSeenPrefix = `${config.QUEUE_PREFIX}:verification:unknown-agent:`;
  }

  /** The device of an authenticated agent, or the retryable / final refusal. `reply` receives the
   *  Retry-After header of a retryable answer. */
  async requireByAgent(address: string, reply?: { header(name: string, value: string): unknown }): Promise<KnownDevice> {
    const cached = this.cache.get(address);
    if (cached && cached.expiresAtMs > Date.now()) return cached.device;
    const device = await this.byAgent(address);
    if (device) {
      if (this.cache.size >= CACHE_ENTRIES_MAX) this.cache.clear();
      this.cache.set(address, { device, expiresAtMs: Date.now() + CACHE_TTL_MS });
      return device;
    }
    const graceMs = this.config.VERIFICATION_UNKNOWN_DEVICE_GRACE_MS;
    const key = `${this.firstSeenPrefix}${address}`;
    const nowMs = Date.now();
    // Wall time: the grace covers event transport, not domain time.
    await this.redis.set(key, String(nowMs), 'PX', Math.max(graceMs * 4, 60_000), 'NX');
    const firstSeenMs = Number((await this.redis.get(key)) ?? nowMs);
    if (nowMs - firstSeenMs < graceMs) {
      reply?.header('retry-after', String(UNKNOWN_DEVICE_RETRY_AFTER_S));
      throw ProblemError.of('unavailable', 'AGENT.DEVICE_NOT_YET_KNOWN', 'No enrolled device has this key yet; an enrollment moments ago may still be on its way here. Retry shortly.', {
        retryAfterSeconds: UNKNOWN_DEVICE_RETRY_AFTER_S,
      });
    }
    throw ProblemError.of('forbidden', 'AGENT.UNKNOWN_DEVICE', 'This key belongs to no enrolled device: enroll with `ionet-agent join` first.');
  }

  async byAgent(address: string): Promise<KnownDevice | undefined> {
    const { rows } = await this.pool.query<DeviceRow>(`select d.* from agent_keys k join registered_devices d on d.device_id = k.device_id where k.agent_public_key = $1`, [address]);
    return rows[0] ? toDevice(rows[0]) : undefined;
  }

  async byId(deviceId: string): Promise<KnownDevice | undefined> {
    const { rows } = await this.pool.query<DeviceRow>(`select * from registered_devices where device_id = $1`, [deviceId]);
    return rows[0] ? toDevice(rows[0]) : undefined;
  }
}

function toDevice(r: DeviceRow): KnownDevice {
  return {
    deviceId: r.device_id,
    supplierId: r.supplier_id,
    tenantId: r.tenant_id,
    agentPublicKey: r.agent_public_key,
    deviceClass: r.device_class,
    gpuModel: r.gpu_model,
    canonicalGpuModel: r.gpu_model ? (resolveGpuModel(r.gpu_model)?.name ?? null) : null,
    gpuVramMib: r.gpu_vram_mib,
    gpuCount: r.gpu_count,
    simulated: r.simulated,
    connectivityTier: r.connectivity_tier,
    payoutWallet: r.payout_wallet,
    status: r.status,
  };
}
