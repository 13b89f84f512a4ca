#!/usr/bin/env node
// One template for every service's deployment: `docker-compose.yml` and `deploy/k8s/*.yaml` are
// rendered from the list below. A new service adds one entry here, then `npm run deploy:render`.
//   node deploy/render.cjs           write the files
//   node deploy/render.cjs --check   exit 1 when a rendered file differs from what is committed
'use strict';

const { readFileSync, writeFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
const yaml = require('js-yaml');

/**
 * Every deployable service. `roles`: the processes one codebase runs (SERVICE_ROLES); each role is
 * its own Deployment so API replicas scale apart from consumers and workers. `database`: it owns a
 * PostgreSQL database (and runs its migrations at start, hence the startup probe).
 */
const SERVICES = [
  // The gateway's upstreams are every other service's API (GATEWAY_UPSTREAMS, rendered below).
  { name: 'gateway', localPort: 4000, roles: ['api'], database: false, replicas: { api: 2 }, env: { TRUST_PROXY: 'true' }, composeEnv: { TRUST_PROXY: 'false' } },
  { name: 'inventory', localPort: 4101, roles: ['api', 'consumer'], database: true, replicas: { api: 2, consumer: 1 } },
  // Dispatch, ack checks, the payment window and the lease ends run in the worker role (BullMQ).
  { name: 'leasing', localPort: 4104, roles: ['api', 'consumer', 'worker'], database: true, replicas: { api: 2, consumer: 1, worker: 2 } },
  { name: 'billing', localPort: 4105, roles: ['api', 'consumer'], database: true, replicas: { api: 2, consumer: 1 } },
  { name: 'ledger', localPort: 4108, roles: ['api', 'consumer'], database: true, replicas: { api: 2, consumer: 1 } },
  // Delivery attempts run in the worker role (BullMQ), apart from the API and the fan-out consumer.
  { name: 'webhooks', localPort: 4109, roles: ['api', 'consumer', 'worker'], database: true, replicas: { api: 2, consumer: 1, worker: 2 } },
  // Epoch closing (and the chain executors) run in the worker role (BullMQ); allocation and the
  // eligibility projections in the consumer role.
  { name: 'tokenomics', localPort: 4106, roles: ['api', 'consumer', 'worker'], database: true, replicas: { api: 2, consumer: 1, worker: 1 } },
];

/** `inventory=http://inventory,...`: where the gateway finds each service's API. */
function upstreams(services, urlOf) {
  return services
    .filter((s) => s.name !== 'gateway' && s.roles.includes('api'))
    .map((s) => `${s.name}=${urlOf(s)}`)
    .join(',');
}

/** The one image (deploy/docker/Dockerfile), tagged with the release: never `latest`. */
const IMAGE = `ionet/backend:${require('../package.json').version}`;
/** The numeric user of the image (the `node` user of node:20 images): the kubelet can verify runAsNonRoot. */
const RUN_AS = 1000;
const CONTAINER_PORT = 3000;

/** Third-party images, pinned to a release. */
const IMAGES = {
  kafka: 'apache/kafka:3.9.1',
  postgres: 'postgres:15.10-bookworm',
  redis: 'redis:7.4.1-bookworm',
  jaeger: 'jaegertracing/all-in-one:1.62.0',
  otelCollector: 'otel/opentelemetry-collector-contrib:0.114.0',
};

const required = (variable) => `\${${variable}:?set ${variable} (see README: Deploy)}`;

function renderCompose(services = SERVICES) {
  const hardened = {
    read_only: true,
    tmpfs: ['/tmp'],
    cap_drop: ['ALL'],
    security_opt: ['no-new-privileges:true'],
    user: `${RUN_AS}:${RUN_AS}`,
    restart: 'unless-stopped',
  };
  const doc = {
    name: 'ionet',
    services: {
      kafka: {
        image: IMAGES.kafka,
        ports: ['127.0.0.1:9092:9092'],
        environment: {
          KAFKA_NODE_ID: '1',
          KAFKA_PROCESS_ROLES: 'broker,controller',
          KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,INTERNAL://0.0.0.0:19092,CONTROLLER://0.0.0.0:9093',
          KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:9092,INTERNAL://kafka:19092',
          KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
          KAFKA_INTER_BROKER_LISTENER_NAME: 'INTERNAL',
          KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
          KAFKA_CONTROLLER_QUORUM_VOTERS: '1@kafka:9093',
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
          KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '10',
          KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
          KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
          KAFKA_LOG_RETENTION_MS: '-1',
        },
        volumes: ['kafka-data:/var/lib/kafka/data'],
        healthcheck: { test: ['CMD-SHELL', '/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092 >/dev/null 2>&1'], interval: '5s', retries: 30 },
      },
      postgres: {
        image: IMAGES.postgres,
        ports: ['127.0.0.1:5432:5432'],
        environment: { POSTGRES_PASSWORD: required('POSTGRES_PASSWORD') },
        volumes: ['postgres-data:/var/lib/postgresql/data', './deploy/local/postgres/init.sql:/docker-entrypoint-initdb.d/init.sql:ro'],
        healthcheck: { test: ['CMD', 'pg_isready', '-U', 'postgres'], interval: '5s', retries: 30 },
      },
      redis: {
        image: IMAGES.redis,
        command: ['redis-server', '--requirepass', required('REDIS_PASSWORD')],
        ports: ['127.0.0.1:6379:6379'],
        environment: { REDISCLI_AUTH: required('REDIS_PASSWORD') },
        healthcheck: { test: ['CMD', 'redis-cli', 'ping'], interval: '5s', retries: 30 },
      },
      jaeger: { image: IMAGES.jaeger, environment: { COLLECTOR_OTLP_ENABLED: 'true' }, ports: ['127.0.0.1:16686:16686'] },
      'otel-collector': {
        image: IMAGES.otelCollector,
        command: ['--config=/etc/otel/collector.yaml'],
        volumes: ['./deploy/local/otel/collector.yaml:/etc/otel/collector.yaml:ro'],
        ports: ['127.0.0.1:4317:4317', '127.0.0.1:4318:4318'],
        depends_on: ['jaeger'],
      },
    },
    volumes: { 'kafka-data': {}, 'postgres-data': {} },
  };
  for (const service of services) {
    doc.services[service.name] = {
      image: IMAGE,
      build: { context: '.', dockerfile: 'deploy/docker/Dockerfile', args: { SERVICE: service.name } },
      ports: [`127.0.0.1:${service.localPort}:${CONTAINER_PORT}`],
      environment: {
        SERVICE: service.name,
        SERVICE_NAME: service.name,
        NODE_ENV: 'production',
        HTTP_HOST: '0.0.0.0',
        HTTP_PORT: String(CONTAINER_PORT),
        LOG_LEVEL: 'info',
        ...(service.database
          ? {
              SERVICE_ROLES: service.roles.join(','),
              DATABASE_URL: `postgres://postgres:\${POSTGRES_PASSWORD}@postgres:5432/ionet_${service.name}`,
              REDIS_URL: 'redis://:${REDIS_PASSWORD}@redis:6379/0',
              KAFKA_BROKERS: 'kafka:19092',
              OTEL_TRACES_EXPORTER: 'otlp',
              OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
              OPS_BOOTSTRAP_API_KEY: required('OPS_BOOTSTRAP_API_KEY'),
              // Docker's bridge networks, where the gateway sends X-Forwarded-For from.
              HTTP_TRUSTED_PROXIES: '172.16.0.0/12',
            }
          : {}),
        ...(service.name === 'gateway' ? { GATEWAY_UPSTREAMS: upstreams(services, (s) => `http://${s.name}:${CONTAINER_PORT}`) } : {}),
        ...(service.composeEnv ?? service.env ?? {}),
      },
      ...(service.database
        ? { depends_on: { kafka: { condition: 'service_healthy' }, postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } } }
        : { depends_on: services.filter((s) => s.database).map((s) => s.name) }),
      ...hardened,
    };
  }
  const header =
    '# Rendered by `npm run deploy:render` from deploy/render.cjs: edit that, not this file.\n' +
    '# The same stack as `npm run infra -- up`, for users with Docker. Every port is bound to 127.0.0.1.\n' +
    '# Required: OPS_BOOTSTRAP_API_KEY (ionet_ops_ + 43 random url-safe characters), POSTGRES_PASSWORD and\n' +
    '# REDIS_PASSWORD (url-safe characters: they go into connection URLs), e.g. in an .env file beside this one.\n' +
    '#   docker compose up -d kafka postgres redis otel-collector jaeger   # the stack only\n' +
    '#   docker compose up -d                                               # and the services; the API is http://127.0.0.1:4000\n';
  return header + yaml.dump(doc, { lineWidth: -1, noRefs: true });
}

function podSecurity() {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS,
    runAsGroup: RUN_AS,
    fsGroup: RUN_AS,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function containerSecurity() {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function renderKubernetes(service, services = SERVICES) {
  const labels = (role) => ({ 'app.kubernetes.io/name': service.name, 'app.kubernetes.io/component': role, 'app.kubernetes.io/part-of': 'ionet' });
  const docs = [];
  docs.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `ionet-${service.name}`, labels: labels('config') },
    data: {
      SERVICE_NAME: service.name,
      HTTP_HOST: '0.0.0.0',
      HTTP_PORT: String(CONTAINER_PORT),
      NODE_ENV: 'production',
      SHUTDOWN_TIMEOUT_MS: '20000',
      ...(service.name === 'gateway' ? { GATEWAY_UPSTREAMS: upstreams(services, (s) => `http://${s.name}`) } : {}),
      ...(service.env ?? {}),
    },
  });
  for (const role of service.roles) {
    const name = service.roles.length === 1 ? service.name : `${service.name}-${role}`;
    const serves = role === 'api';
    docs.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels: labels(role) },
      spec: {
        replicas: service.replicas?.[role] ?? 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': service.name, 'app.kubernetes.io/component': role } },
        template: {
          // No prometheus.io/scrape annotations: /metrics needs an ops key (ADR 0302), so scraping is a
          // Prometheus job with `authorization` from a Secret, selecting app.kubernetes.io/part-of=ionet.
          metadata: { labels: labels(role) },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 30,
            securityContext: podSecurity(),
            containers: [
              {
                name: service.name,
                image: IMAGE,
                imagePullPolicy: 'IfNotPresent',
                env: [
                  { name: 'SERVICE', value: service.name },
                  ...(service.database ? [{ name: 'SERVICE_ROLES', value: role }] : []),
                ],
                envFrom: [
                  ...(service.database ? [{ configMapRef: { name: 'ionet-platform' } }] : []),
                  { configMapRef: { name: `ionet-${service.name}` } },
                  ...(service.database ? [{ secretRef: { name: `ionet-${service.name}` } }] : []),
                ],
                ports: [{ name: 'http', containerPort: CONTAINER_PORT }],
                // Migrations run before the process listens: up to 5 minutes before liveness counts.
                startupProbe: { httpGet: { path: '/health/live', port: 'http' }, periodSeconds: 5, failureThreshold: 60, timeoutSeconds: 3 },
                readinessProbe: { httpGet: { path: '/health/ready', port: 'http' }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
                livenessProbe: { httpGet: { path: '/health/live', port: 'http' }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
                resources: { requests: { cpu: serves ? '250m' : '200m', memory: '256Mi' }, limits: { memory: '512Mi' } },
                securityContext: containerSecurity(),
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
          },
        },
      },
    });
    if (serves) {
      docs.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: service.name, labels: labels(role) },
        spec: { selector: { 'app.kubernetes.io/name': service.name, 'app.kubernetes.io/component': role }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      });
    }
    if ((service.replicas?.[role] ?? 1) > 1) {
      docs.push({
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name, labels: labels(role) },
        spec: { minAvailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': service.name, 'app.kubernetes.io/component': role } } },
      });
    }
  }
  const secretKeys = service.database ? 'Secret `ionet-' + service.name + '` (DATABASE_URL, REDIS_URL, OPS_BOOTSTRAP_API_KEY; see secrets.template.yaml)' : 'no Secret';
  const header =
    `# Rendered by \`npm run deploy:render\` from deploy/render.cjs: edit that, not this file.\n` +
    `# ${service.name}: ${service.roles.map((r) => `${r} (${service.replicas?.[r] ?? 1})`).join(', ')}; config from ConfigMaps, ${secretKeys}.\n`;
  return header + docs.map((d) => yaml.dump(d, { lineWidth: -1, noRefs: true })).join('---\n');
}

function renderPlatform() {
  const doc = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'ionet-platform', labels: { 'app.kubernetes.io/part-of': 'ionet' } },
    data: {
      KAFKA_BROKERS: 'kafka-0.kafka:9092,kafka-1.kafka:9092,kafka-2.kafka:9092',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
      LOG_LEVEL: 'info',
      // The services take the client's address from X-Forwarded-For only when the gateway (in the
      // pod network) sent it: otherwise every caller shares the gateway's per-address limits.
      HTTP_TRUSTED_PROXIES: '10.0.0.0/8',
    },
  };
  return '# Rendered by `npm run deploy:render` from deploy/render.cjs. Addresses every service shares.\n' + yaml.dump(doc, { lineWidth: -1 });
}

function renderSecretsTemplate(services = SERVICES) {
  const docs = services
    .filter((s) => s.database)
    .map((s) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `ionet-${s.name}`, labels: { 'app.kubernetes.io/name': s.name, 'app.kubernetes.io/part-of': 'ionet' } },
      type: 'Opaque',
      stringData: { DATABASE_URL: '', REDIS_URL: '', OPS_BOOTSTRAP_API_KEY: '' },
    }));
  return (
    '# Rendered by `npm run deploy:render`. NOT applied by kustomization.yaml: the keys each service reads,\n' +
    '# to fill from your secret store (sealed-secrets, external-secrets...). Empty values refuse to start.\n' +
    docs.map((d) => yaml.dump(d, { lineWidth: -1 })).join('---\n')
  );
}

function renderKustomization(services = SERVICES) {
  return (
    '# Rendered by `npm run deploy:render`.\n' +
    yaml.dump({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['platform.yaml', ...services.map((s) => `${s.name}.yaml`)] }, { lineWidth: -1 })
  );
}

/** Every rendered file, path relative to the repository root -> content. */
function renderAll(services = SERVICES) {
  const files = {
    'docker-compose.yml': renderCompose(services),
    'deploy/k8s/platform.yaml': renderPlatform(),
    'deploy/k8s/secrets.template.yaml': renderSecretsTemplate(services),
    'deploy/k8s/kustomization.yaml': renderKustomization(services),
  };
  for (const service of services) files[`deploy/k8s/${service.name}.yaml`] = renderKubernetes(service, services);
  return files;
}

module.exports = { SERVICES, IMAGE, IMAGES, RUN_AS, renderAll, renderCompose, renderKubernetes };

if (require.main === module) {
  const root = join(__dirname, '..');
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [file, content] of Object.entries(renderAll())) {
    const target = join(root, file);
    let current = '';
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // not rendered yet
    }
    if (current === content) continue;
    if (check) {
      process.stderr.write(`${file} is not what deploy/render.cjs renders: run npm run deploy:render\n`);
      stale++;
    } else {
      mkdirSync(join(target, '..'), { recursive: true });
      writeFileSync(target, content);
      process.stdout.write(`rendered ${file}\n`);
    }
  }
  process.exit(stale ? 1 : 0);
}
