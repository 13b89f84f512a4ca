import { acceptQuery, acceptUuidParam, fastRead, type AnyFastRead, type PageQueryDto } from '@ionet/platform';
import { DevicesController } from './devices.controller';
import type { DeviceQueryDto } from './device.dto';
import { SuppliersController } from './suppliers.controller';
import { DEVICE_STATUSES } from '../../domain/device/device.decider';

/** The catalogue's hot reads, answered outside Nest's chain on their success path (ADR 0314). Each
 *  rule is the DTO's decorator or narrower; anything else goes to the Nest route, which answers as
 *  before (fast-reads.spec.ts holds each rule to the validation pipe). */
export const deviceQuery = acceptQuery<DeviceQueryDto>({
  limit: 'pageLimit',
  cursor: 'cursor',
  supplierId: 'uuid',
  status: { oneOf: DEVICE_STATUSES },
  gpuModel: { text: [1, 64] },
  countryCode: /^[A-Za-z]{2}$/,
});
export const pageQuery = acceptQuery<PageQueryDto>({ limit: 'pageLimit', cursor: 'cursor' });

export const inventoryFastReads: AnyFastRead[] = [
  fastRead({ controller: DevicesController, method: 'list', accept: (r) => deviceQuery(r.query), call: (c, caller, query) => c.list(caller, query) }),
  fastRead({ controller: DevicesController, method: 'get', accept: (r) => acceptUuidParam(r.params, 'deviceId'), call: (c, caller, id) => c.get(caller, id) }),
  fastRead({ controller: SuppliersController, method: 'list', accept: (r) => pageQuery(r.query), call: (c, caller, page) => c.list(caller, page) }),
  fastRead({ controller: SuppliersController, method: 'get', accept: (r) => acceptUuidParam(r.params, 'supplierId'), call: (c, caller, id) => c.get(caller, id) }),
];
