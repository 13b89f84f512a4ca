import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DomainError, canAccessTenant, preparedRead, type AuthContext, type Page } from '@ionet/platform';
import { CommandHandlers, type CommandCause } from '@ionet/eventing';
import { DataSource } from 'typeorm';
import { resolveGpuModel } from '@ionet/tokenomics';
import { type ConnectivityTier, type DeviceClass, type DeviceCommand, type DeviceEvent, type DeviceSpec, type DeviceStatus, type SecurityTier } from '../domain/device/device.decider';
import type { SupplierSource } from '../domain/supplier/supplier.decider';
import { catalogPage } from './catalog-query';
import { deviceAggregate, supplierAggregate } from './inventory-aggregates';

export interface Device {
  deviceId: string;
  supplierId: string;
  tenantId: string;
  spec: DeviceSpec;
  source: SupplierSource;
  agentPublicKey: string;
  payoutWallet: string;
  askPricePerGpuHourUsdcBaseUnits: bigint;
  registeredAt: Date;
  updatedAt: Date;
  version: bigint;
  status: DeviceStatus;
  statusReason: string;
  statusSince: Date;
  simulated: boolean;
  enrollmentTokenId: string | null;
  partner: { network: string; externalId: string } | null;
  leaseId: string | null;
  agent: { gpuUuids: string[]; reportedGpuModel: string; hostname: string; agentVersion: string };
}

export interface RegisterDeviceInput {
  agentPublicKey: string;
  spec: DeviceSpec;
  askPricePerGpuHourUsdcBaseUnits: bigint;
  payoutWallet?: string;
}

export interface DeviceFilter {
  supplierId?: string;
  status?: DeviceStatus;
  gpuModel?: string;
  countryCode?: string;
}

export interface DeviceRow {
  device_id: string;
  supplier_id: string;
  tenant_id: string;
  device_class: DeviceClass;
  gpu_model: string | null;
  gpu_vram_mib: number | null;
  gpu_count: number;
  cpu_cores: number;
  ram_mib: number;
  disk_gib: number;
  country_code: string;
  region: string;
  connectivity_tier: ConnectivityTier;
  security_tier: SecurityTier;
  source: SupplierSource;
  agent_public_key: string;
  payout_wallet: string;
  ask_price_usdc_base_units: string;
  registered_at: Date;
  updated_at: Date;
  version: string;
  status: DeviceStatus;
  status_reason: string;
  status_since: Date;
  simulated: boolean;
  enrollment_token_id: string | null;
  partner_network: string | null;
  partner_external_id: string | null;
  lease_id: string | null;
  gpu_uuids: string[];
  reported_gpu_model: string;
  hostname: string;
  agent_version: string;
}

@Injectable()
export class DevicesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly handlers: CommandHandlers,
  ) {}

  /** Appends DeviceRegistered and answers with the device as decided; the catalogue shows it moments later.
   *  The id comes from the edge (derived from the idempotency key when there is one). */
  async register(caller: AuthContext, supplierId: string, deviceId: string, input: RegisterDeviceInput, cause: CommandCause, at: Date): Promise<Device> {
    const supplier = await this.handlers.for(supplierAggregate).load(supplierId);
    const owned = supplier.state.status === 'registered' && canAccessTenant(caller, supplier.state.tenantId) ? supplier.state : undefined;
    const result = await this.handlers.for(deviceAggregate).handle(
      deviceId,
      {
        type: 'RegisterDevice',
        deviceId,
        agentPublicKey: input.agentPublicKey,
        spec: input.spec,
        askPricePerGpuHour: { amountBaseUnits: input.askPricePerGpuHourUsdcBaseUnits, asset: 'USDC' },
        ...(input.payoutWallet ? { payoutWallet: input.payoutWallet } : {}),
        supplier: owned,
        at,
      },
      cause,
    );
    const registered = result.events[0] as Extract<DeviceEvent, { type: 'DeviceRegistered' }>;
    return {
      deviceId,
      supplierId: registered.supplierId,
      tenantId: registered.tenantId,
      spec: registered.spec,
      source: registered.source,
      agentPublicKey: registered.agentPublicKey,
      payoutWallet: registered.payoutWallet,
      askPricePerGpuHourUsdcBaseUnits: registered.askPricePerGpuHour.amountBaseUnits,
      registeredAt: registered.at,
      updatedAt: registered.at,
      version: result.version,
      status: 'pending',
      statusReason: registered.statusReason,
      statusSince: registered.at,
      simulated: registered.simulated,
      enrollmentTokenId: registered.enrollmentTokenId,
      partner: registered.partner,
      leaseId: null,
      agent: registered.agent,
    };
  }

  /** Sets the ask price; the same price again appends nothing. Concurrent changes are retried by
   *  the kit (reload, decide again), so each lands. Returns the device's stream version. */
  async setPrice(caller: AuthContext, deviceId: string, amountBaseUnits: bigint, cause: CommandCause, at: Date): Promise<{ deviceId: string; version: bigint; changed: boolean }> {
    const result = await this.handlers.for(deviceAggregate).handle(
      deviceId,
      (state) => {
        if (state.status === 'registered' && !canAccessTenant(caller, state.tenantId)) throw new DomainError('DEVICE.NOT_FOUND', `No device ${deviceId}.`);
        return { type: 'SetDevicePrice', deviceId, askPricePerGpuHour: { amountBaseUnits, asset: 'USDC' }, at };
      },
      cause,
    );
    return { deviceId, version: result.version, changed: result.events.length > 0 };
  }

  /** Pause or resume by the supplier (ADR 0401): a pause never cuts a lease, a blocked device stays blocked. */
  async setPaused(caller: AuthContext, deviceId: string, paused: boolean, cause: CommandCause, at: Date): Promise<{ deviceId: string; status: DeviceStatus; statusReason: string; version: bigint; changed: boolean }> {
    const result = await this.handlers.for(deviceAggregate).handle(
      deviceId,
      (state): DeviceCommand => {
        if (state.status === 'registered' && !canAccessTenant(caller, state.tenantId)) throw new DomainError('DEVICE.NOT_FOUND', `No device ${deviceId}.`);
        return { type: paused ? 'PauseDevice' : 'ResumeDevice', deviceId, at };
      },
      cause,
    );
    if (result.state.status !== 'registered') throw new Error('a decided pause leaves a registered device');
    const { lifecycle } = result.state;
    return { deviceId, status: lifecycle.status, statusReason: lifecycle.statusReason, version: result.version, changed: result.events.length > 0 };
  }

  /** The device an agent key enrolled (GET /v1/agent/device). */
  async getByAgentKey(agentPublicKey: string): Promise<Device> {
    const [row] = (await this.dataSource.query(`select * from devices where agent_public_key = $1 order by registered_at limit 1`, [agentPublicKey])) as DeviceRow[];
    // The agent protocol's answer for a valid signature by a key no device holds (ADR 0400).
    if (!row) throw new DomainError('AGENT.UNKNOWN_DEVICE', 'No device is enrolled with this agent key: run `ionet-agent join --token <token>` first.', {}, 'forbidden');
    return toDevice(row);
  }

  async get(caller: AuthContext, deviceId: string): Promise<Device> {
    const [row] = await preparedRead<DeviceRow & object>(this.dataSource, `select * from devices where device_id = $1`, [deviceId]);
    if (!row || !canAccessTenant(caller, row.tenant_id)) throw new DomainError('DEVICE.NOT_FOUND', `No device ${deviceId}.`);
    return toDevice(row);
  }

  async list(caller: AuthContext, filter: DeviceFilter, limit: number, cursor?: string): Promise<Page<Device>> {
    const filters: [string, unknown][] = [];
    if (!caller.scopes.includes('ops')) filters.push(['tenant_id', caller.tenantId]);
    if (filter.supplierId) filters.push(['supplier_id', filter.supplierId]);
    if (filter.status) filters.push(['status', filter.status]);
    // "H100", "NVIDIA H100 80GB HBM3" and "H100-80GB" find the same devices.
    if (filter.gpuModel) filters.push(['gpu_model', resolveGpuModel(filter.gpuModel)?.name ?? filter.gpuModel]);
    if (filter.countryCode) filters.push(['country_code', filter.countryCode.toUpperCase()]);
    return catalogPage<DeviceRow, Device>(
      this.dataSource,
      { view: 'devices', idColumn: 'device_id', filters, limit, ...(cursor ? { cursor } : {}) },
      toDevice,
      (d) => ({ registeredAt: d.registeredAt.toISOString(), id: d.deviceId }),
    );
  }
}

export function toDevice(row: DeviceRow): Device {
  return {
    deviceId: row.device_id,
    supplierId: row.supplier_id,
    tenantId: row.tenant_id,
    spec: {
      deviceClass: row.device_class,
      gpu: row.gpu_model === null ? null : { model: row.gpu_model, vramMib: row.gpu_vram_mib ?? 0, count: row.gpu_count },
      cpuCores: row.cpu_cores,
      ramMib: row.ram_mib,
      diskGib: row.disk_gib,
      countryCode: row.country_code,
      region: row.region,
      connectivityTier: row.connectivity_tier,
      securityTier: row.security_tier,
    },
    source: row.source,
    agentPublicKey: row.agent_public_key,
    payoutWallet: row.payout_wallet,
    askPricePerGpuHourUsdcBaseUnits: BigInt(row.ask_price_usdc_base_units),
    registeredAt: row.registered_at,
    updatedAt: row.updated_at,
    version: BigInt(row.version),
    status: row.status,
    statusReason: row.status_reason,
    statusSince: row.status_since,
    simulated: row.simulated,
    enrollmentTokenId: row.enrollment_token_id,
    partner: row.partner_network ? { network: row.partner_network, externalId: row.partner_external_id ?? '' } : null,
    leaseId: row.lease_id,
    agent: { gpuUuids: row.gpu_uuids, reportedGpuModel: row.reported_gpu_model, hostname: row.hostname, agentVersion: row.agent_version },
  };
}
