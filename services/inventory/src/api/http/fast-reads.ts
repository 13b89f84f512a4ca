import type { INestApplicationContext } from '@nestjs/common';
import { ProjectionsService } from '@ionet/eventing';
import { acceptQuery, acceptUuidParam, fastRead, type AnyFastRead, type PageQueryDto } from '@ionet/platform';
import { INVENTORY_CATALOG } from '../../application/projections/inventory-catalog.projection';
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

/** Every one of these reads the catalogue projection only (by tenant, or all of it for ops): its
 *  answers are cached until the projection's change epoch moves (ADR 0315). */
const catalogue = (app: INestApplicationContext) => app.get(ProjectionsService).changeEpoch(INVENTORY_CATALOG);

export const inventoryFastReads: AnyFastRead[] = [
  fastRead({ controller: DevicesController, method: 'list', accept: (r) => deviceQuery(r.query), call: (c, caller, query) => c.list(caller, query), cacheBy: catalogue }),
  fastRead({ controller: DevicesController, method: 'get', accept: (r) => acceptUuidParam(r.params, 'deviceId'), call: (c, caller, id) => c.get(caller, id), cacheBy: catalogue }),
  fastRead({ controller: SuppliersController, method: 'list', accept: (r) => pageQuery(r.query), call: (c, caller, page) => c.list(caller, page), cacheBy: catalogue }),
  fastRead({ controller: SuppliersController, method: 'get', accept: (r) => acceptUuidParam(r.params, 'supplierId'), call: (c, caller, id) => c.get(caller, id), cacheBy: catalogue }),
];
