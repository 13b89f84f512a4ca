// Addresses of the local stack. The same variables reach the tests (libs/testing) and `npm start`.
export const SERVICES = ['inventory', 'verification', 'matching', 'leasing', 'billing', 'tokenomics', 'governance', 'ledger', 'webhooks'];
export const SERVICE_DATABASES = SERVICES.map((s) => `ionet_${s}`);

export function infraSettings(env) {
  return {
    kafkaBrokers: (env.IONET_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean),
    kafkaControllerPort: Number.parseInt(env.IONET_KAFKA_CONTROLLER_PORT ?? '9093', 10),
    kafkaHeap: env.IONET_KAFKA_HEAP ?? '1g',
    postgresAdminUrl: env.IONET_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: env.IONET_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
    redisKeyPrefix: env.IONET_REDIS_PREFIX ?? 'ionet',
  };
}

/** The database URL of one service on the configured server. */
export function serviceDatabaseUrl(env, service) {
  const url = new URL(infraSettings(env).postgresAdminUrl);
  url.pathname = `/ionet_${service}`;
  return url.toString();
}

/** The HTTP port of each service under `npm start`. */
export const SERVICE_PORTS = {
  inventory: 4101,
  verification: 4102,
  matching: 4103,
  leasing: 4104,
  billing: 4105,
  tokenomics: 4106,
  governance: 4107,
  ledger: 4108,
  webhooks: 4109,
};
