// How `npm start` reads its children's output: one JSON object per line from pino (our services) or
// from kafkajs's own console logger. Kept in CommonJS so the unit tests can load it.
'use strict';

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

// A fresh broker elects partition leaders and loads the group coordinator for a few seconds; kafkajs
// logs each retry of that wait at ERROR although it recovers by itself. They are not errors to a user.
const KAFKA_STARTUP_NOISE =
  /coordinator|leader|leadership|does not host this topic-partition|rebalanc|LEADER_NOT_AVAILABLE|UNKNOWN_TOPIC_OR_PARTITION|NOT_COORDINATOR|COORDINATOR_(NOT_AVAILABLE|LOAD_IN_PROGRESS)|Restarting the consumer/i;

/**
 * One output line of a child process, as a pino-shaped record with a numeric `levelValue`, or the raw
 * text when it is not JSON. kafkajs's start-up retries become `debug` with `kafkaStartup: true`.
 * @param {string} service
 * @param {string} line
 */
function classifyLine(service, line) {
  let record;
  try {
    record = JSON.parse(line);
  } catch {
    return { text: line };
  }
  if (!record || typeof record !== 'object' || Array.isArray(record)) return { text: line };
  if (record.logger === 'kafkajs') {
    const { level, timestamp, logger: _logger, message, ...rest } = record;
    const label = String(level ?? 'INFO').toLowerCase();
    const noise = label === 'error' && KAFKA_STARTUP_NOISE.test(`${message ?? ''} ${rest.error ?? ''}`);
    const finalLabel = noise ? 'debug' : label === 'nothing' ? 'info' : label;
    return {
      record: { level: finalLabel, time: timestamp, service, msg: `kafka: ${message ?? ''}`, ...rest, ...(noise ? { kafkaStartup: true } : {}) },
      levelValue: LEVELS[finalLabel] ?? 30,
      kafkaStartup: noise,
    };
  }
  if (NEST_STARTUP_CONTEXTS.has(record.context) && (record.level === 'info' || record.level === 30)) {
    return { record: { service, ...record, level: 'debug' }, levelValue: LEVELS.debug, kafkaStartup: false };
  }
  const levelValue = typeof record.level === 'number' ? record.level : (LEVELS[String(record.level)] ?? 30);
  return { record: { service, ...record }, levelValue, kafkaStartup: false };
}

// Nest's start-up inventory (every module initialised, every route mapped): useful when debugging.
const NEST_STARTUP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);

module.exports = { classifyLine, LEVELS, KAFKA_STARTUP_NOISE };
