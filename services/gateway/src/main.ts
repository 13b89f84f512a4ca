import { ConfigError, createLogger } from '@ionet/platform';
import { buildGateway } from './gateway.app';
import { loadGatewayConfig, type GatewayConfig } from './gateway.config';

/** Starts the gateway; SIGTERM/SIGINT let in-flight requests finish (cut at SHUTDOWN_TIMEOUT_MS).
 *  A bad configuration exits with status 78 (EX_CONFIG) naming each bad variable. */
async function main(): Promise<void> {
  let config: GatewayConfig;
  try {
    config = loadGatewayConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger(config.SERVICE_NAME, config.LOG_LEVEL);
  const { app, openApi } = await buildGateway(config, logger);
  await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  await openApi.start(config.OPENAPI_REFRESH_MS);
  const base = `http://${config.HTTP_HOST}:${config.HTTP_PORT}`;
  logger.info({ url: base, docs: `${base}/docs`, upstreams: config.GATEWAY_UPSTREAMS }, 'gateway listening');

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
    openApi.stop();
    await app.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', (s) => void shutdown(s));
  process.once('SIGINT', (s) => void shutdown(s));
}

void main();
