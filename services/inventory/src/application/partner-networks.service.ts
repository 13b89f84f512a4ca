import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { CONFIG, DomainError, type AuthContext, type Page } from '@ionet/platform';
import { CommandHandlers, derivedId, type CommandCause } from '@ionet/eventing';
import { DataSource } from 'typeorm';
import type { DeviceSpec, DeviceStatus, PricePerGpuHour } from '../domain/device/device.decider';
import type { InventoryConfig } from '../inventory.config';
import { catalogPage } from './catalog-query';
import { toDevice, type Device, type DeviceRow } from './devices.service';
import { EnrollmentService, type IssuedToken } from './enrollment.service';
import { deviceAggregate, supplierAggregate } from './inventory-aggregates';

export interface PartnerDeviceInput {
  spec: DeviceSpec;
  askPricePerGpuHour: PricePerGpuHour;
}

export interface PartnerDeviceUpserted {
  deviceId: string;
  supplierId: string;
  network: string;
  externalId: string;
  created: boolean;
  changed: boolean;
  status: DeviceStatus;
  statusReason: string;
  version: bigint;
  /** A token bound to the device while no agent has enrolled for it (ADR 0404). */
  enrollment: IssuedToken | null;
}

/**
 * A partner network's fleet (ADR 0404): the caller's organization must own the network's supplier
 * (a partner_network supplier of that network, registered by ops for the organization); each device
 * is addressed by (network, externalId), so the same PUT always lands on the same device.
 */
@Injectable()
export class PartnerNetworksService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly handlers: CommandHandlers,
    private readonly enrollment: EnrollmentService,
    @Inject(CONFIG) private readonly config: InventoryConfig,
  ) {}

  async upsert(caller: AuthContext, network: string, externalId: string, input: PartnerDeviceInput, cause: CommandCause, at: Date): Promise<PartnerDeviceUpserted> {
    const supplierId = await this.supplierOf(caller, network);
    const deviceId = derivedId('stream', 'device', 'partner', network, externalId);
    const devices = this.handlers.for(deviceAggregate);
    const existing = await devices.load(deviceId);
    let created = false;
    let result;
    if (existing.state.status === 'unregistered') {
      const supplier = await this.handlers.for(supplierAggregate).load(supplierId);
      result = await devices.handle(
        deviceId,
        (state) =>
          state.status === 'registered'
            ? { type: 'UpdateDeviceSpec', deviceId, spec: input.spec, askPricePerGpuHour: input.askPricePerGpuHour, at }
            : {
                type: 'RegisterDevice',
                deviceId,
                agentPublicKey: '',
                spec: input.spec,
                askPricePerGpuHour: input.askPricePerGpuHour,
                supplier: supplier.state.status === 'registered' ? supplier.state : undefined,
                partner: { network, externalId },
                at,
              },
        cause,
      );
      created = result.events[0]?.type === 'DeviceRegistered';
    } else {
      // Another organization's device under the same external id reads as absent.
      if (existing.state.supplierId !== supplierId) throw new DomainError('DEVICE.NOT_FOUND', `No device ${externalId} in your ${network} fleet.`);
      result = await devices.handle(deviceId, { type: 'UpdateDeviceSpec', deviceId, spec: input.spec, askPricePerGpuHour: input.askPricePerGpuHour, at }, cause);
    }
    if (result.state.status !== 'registered') throw new Error('an upserted partner device is registered');
    const { lifecycle } = result.state;
    const enrollment = lifecycle.agentAttached ? null : await this.enrollment.issue(caller, supplierId, { defaults: NO_DEFAULTS, deviceId }, cause, at);
    return {
      deviceId,
      supplierId,
      network,
      externalId,
      created,
      changed: result.events.length > 0,
      status: lifecycle.status,
      statusReason: lifecycle.statusReason,
      version: result.version,
      enrollment,
    };
  }

  async list(caller: AuthContext, network: string, limit: number, cursor?: string): Promise<Page<Device>> {
    this.assertNetwork(network);
    const filters: [string, unknown][] = [['partner_network', network]];
    if (!caller.scopes.includes('ops')) filters.push(['tenant_id', caller.tenantId]);
    return catalogPage<DeviceRow, Device>(
      this.dataSource,
      { view: 'devices', idColumn: 'device_id', filters, limit, ...(cursor ? { cursor } : {}) },
      toDevice,
      (d) => ({ registeredAt: d.registeredAt.toISOString(), id: d.deviceId }),
    );
  }

  private assertNetwork(network: string): void {
    if (!this.config.PARTNER_NETWORKS.includes(network)) throw new DomainError('PARTNER.UNKNOWN_NETWORK', `No partner network "${network}"; this platform knows ${this.config.PARTNER_NETWORKS.join(', ')}.`, {}, 'not_found');
  }

  private async supplierOf(caller: AuthContext, network: string): Promise<string> {
    this.assertNetwork(network);
    const [row] = (await this.dataSource.query(`select supplier_id from suppliers where tenant_id = $1 and partner_network = $2 order by registered_at, supplier_id limit 1`, [
      caller.tenantId,
      network,
    ])) as { supplier_id: string }[];
    if (!row) {
      throw new DomainError(
        'PARTNER.NOT_NETWORK_SUPPLIER',
        `Your organization is not the ${network} network's supplier: ops registers it (POST /v1/suppliers with source partner_network, partnerNetwork "${network}" and your organization as tenantId).`,
        {},
        'forbidden',
      );
    }
    return row.supplier_id;
  }
}

const NO_DEFAULTS = { askPricePerGpuHour: null, connectivityTier: null, securityTier: null, payoutWallet: null };
