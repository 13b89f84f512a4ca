import type { PoolConfig } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import type { BaseConfig } from '../config/config';

/** TypeORM options of a service database. `schema` isolates tests (one schema per test file). */
export function dataSourceOptions(
  config: Pick<BaseConfig, 'DATABASE_URL' | 'DATABASE_POOL_MAX' | 'DATABASE_SCHEMA' | 'SERVICE_NAME'>,
  parts: { entities: DataSourceOptions['entities']; migrations: DataSourceOptions['migrations'] },
): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    entities: parts.entities,
    migrations: parts.migrations,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    applicationName: `ionet-${config.SERVICE_NAME}`,
    extra: {
      max: config.DATABASE_POOL_MAX,
      connectionTimeoutMillis: 5_000,
      ...(config.DATABASE_SCHEMA ? { options: `-c search_path=${config.DATABASE_SCHEMA}` } : {}),
    },
  };
}

/** node-postgres settings of the same database and schema, for code that speaks plain SQL. */
export function pgPoolConfig(config: Pick<BaseConfig, 'DATABASE_URL' | 'DATABASE_POOL_MAX' | 'DATABASE_SCHEMA' | 'SERVICE_NAME'>): PoolConfig {
  return {
    connectionString: config.DATABASE_URL,
    max: config.DATABASE_POOL_MAX,
    connectionTimeoutMillis: 5_000,
    application_name: `ionet-${config.SERVICE_NAME}`,
    ...(config.DATABASE_SCHEMA ? { options: `-c search_path=${config.DATABASE_SCHEMA}` } : {}),
  };
}
