import { deciderSpec } from '@ionet/testing';
import { NO_AGENT_DETAILS, type DeviceEvent } from '../domain/device/device.decider';
import { deviceAggregate } from './inventory-aggregates';

const at = new Date('2026-11-25T10:00:00Z');
const WALLET = '11111111111111111111111111111111';
const registered: Extract<DeviceEvent, { type: 'DeviceRegistered' }> = {
  type: 'DeviceRegistered',
  deviceId: 'd-1',
  supplierId: 's-1',
  tenantId: 't-1',
  agentPublicKey: 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA',
  spec: { deviceClass: 'cpu', gpu: null, cpuCores: 8, ramMib: 16_384, diskGib: 100, countryCode: 'DE', region: 'eu', connectivityTier: 'high', securityTier: 'standard' },
  source: 'individual',
  askPricePerGpuHour: { amountBaseUnits: 100n, asset: 'USDC' },
  payoutWallet: WALLET,
  simulated: false,
  enrollmentTokenId: null,
  partner: null,
  agent: NO_AGENT_DETAILS,
  statusReason: 'pending',
  at,
};
const price = (amountBaseUnits: bigint) => ({ type: 'SetDevicePrice' as const, deviceId: 'd-1', askPricePerGpuHour: { amountBaseUnits, asset: 'USDC' as const }, at });

/** The decider inventory registers with the command handler, through the kit's given/when/then. */
describe('device aggregate as registered', () => {
  const spec = deciderSpec(deviceAggregate.decider);

  it('sets a new price as one event, and the same price again as none', () => {
    spec.given([registered]).when(price(200n)).then([{ type: 'DevicePriceSet', deviceId: 'd-1', supplierId: 's-1', askPricePerGpuHour: { amountBaseUnits: 200n, asset: 'USDC' }, at }]);
    spec.given([registered, { type: 'DevicePriceSet', deviceId: 'd-1', supplierId: 's-1', askPricePerGpuHour: { amountBaseUnits: 200n, asset: 'USDC' }, at }]).when(price(200n)).then([]);
  });

  it('refuses a price for a device that does not exist, and a register with an impossible core count', () => {
    spec.given([]).when(price(200n)).thenRefused('DEVICE.NOT_FOUND');
    spec
      .given([])
      .when({ type: 'RegisterDevice', deviceId: 'd-2', agentPublicKey: registered.agentPublicKey, spec: { ...registered.spec, cpuCores: 3_000_000_000 }, askPricePerGpuHour: registered.askPricePerGpuHour, supplier: { supplierId: 's-1', tenantId: 't-1', source: 'individual', payoutWallet: WALLET }, at })
      .thenRefused('DEVICE.INVALID_SPEC');
  });

  it('reports a wrong expectation as a failure (the kit can fail)', () => {
    expect(() => spec.given([registered]).when(price(200n)).then([])).toThrow();
    expect(() => spec.given([registered]).when(price(200n)).thenRefused('DEVICE.NOT_FOUND')).toThrow(/expected a refusal/);
  });
});
