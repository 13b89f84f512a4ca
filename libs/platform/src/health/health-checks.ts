import type Redis from 'ioredis';
import type { Admin } from 'kafkajs';
import type { DataSource } from 'typeorm';

export interface HealthCheck {
  name: string;
  timeoutMs: number;
  probe(): Promise<unknown>;
}

export const HEALTH_CHECKS = Symbol('ionet.health-checks');
/** Readiness checks other libraries contribute (EventingModule: stuck consumers). A string token,
 *  so they provide it without importing platform; @ionet/eventing declares the same string. */
export const HEALTH_CHECK_CONTRIBUTIONS = 'ionet.health-check-contributions';
const CHECK_TIMEOUT_MS = 2_000;

export function postgresCheck(dataSource: DataSource): HealthCheck {
  return { name: 'postgres', timeoutMs: CHECK_TIMEOUT_MS, probe: () => dataSource.query('select 1') };
}

export function redisCheck(redis: Redis): HealthCheck {
  return { name: 'redis', timeoutMs: CHECK_TIMEOUT_MS, probe: () => redis.ping() };
}

/** A metadata request to the cluster; connects first (a no-op once connected). */
export function kafkaCheck(admin: Admin): HealthCheck {
  return {
    name: 'kafka',
    timeoutMs: CHECK_TIMEOUT_MS,
    probe: async () => {
      await admin.connect();
      return admin.describeCluster();
    },
  };
}
