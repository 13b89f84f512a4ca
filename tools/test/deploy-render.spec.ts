import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/* eslint-disable @typescript-eslint/no-require-imports */
const yaml = require('js-yaml') as { load(text: string): unknown; loadAll(text: string): unknown[] };
const render = require('../../deploy/render.cjs') as {
  SERVICES: { name: string; roles: string[]; database: boolean }[];
  IMAGE: string;
  renderAll(services?: unknown[]): Record<string, string>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const root = join(__dirname, '..', '..');
const files = render.renderAll();
const compose = yaml.load(files['docker-compose.yml']!) as Obj;
const manifests = Object.entries(files)
  .filter(([file]) => file.startsWith('deploy/k8s/') && !file.endsWith('secrets.template.yaml') && !file.endsWith('kustomization.yaml'))
  .flatMap(([, text]) => yaml.loadAll(text) as Obj[]);
const deployments = manifests.filter((m) => m.kind === 'Deployment');
const pinned = (image: string) => /:[0-9][\w.-]*$/.test(image) && !image.endsWith(':latest');

describe('deployment from one template (deploy/render.cjs)', () => {
  it('the committed files are what the template renders', () => {
    for (const [file, content] of Object.entries(files)) expect({ file, content: readFileSync(join(root, file), 'utf8') }).toEqual({ file, content });
  });

  it('compose requires the ops key and the passwords instead of shipping defaults', () => {
    const text = files['docker-compose.yml']!;
    expect(text).not.toMatch(/change-me|POSTGRES_HOST_AUTH_METHOD|trust/);
    for (const name of render.SERVICES.filter((s) => s.database).map((s) => s.name)) {
      const env = compose.services[name].environment;
      expect(env.OPS_BOOTSTRAP_API_KEY).toMatch(/^\$\{OPS_BOOTSTRAP_API_KEY:\?/);
      expect(env.DATABASE_URL).toContain('postgres:${POSTGRES_PASSWORD}@');
      expect(env.REDIS_URL).toContain(':${REDIS_PASSWORD}@');
    }
    expect(compose.services.postgres.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(compose.services.redis.command).toEqual(['redis-server', '--requirepass', expect.stringMatching(/^\$\{REDIS_PASSWORD:\?/)]);
  });

  it('compose publishes every port on 127.0.0.1 only, pins every image, and hardens the service containers', () => {
    for (const [name, service] of Object.entries(compose.services as Record<string, Obj>)) {
      for (const port of service.ports ?? []) expect({ name, port }).toEqual({ name, port: expect.stringMatching(/^127\.0\.0\.1:\d+:\d+$/) });
      expect({ name, pinned: pinned(service.image) }).toEqual({ name, pinned: true });
    }
    for (const { name } of render.SERVICES) {
      const service = compose.services[name];
      expect(service).toMatchObject({ read_only: true, cap_drop: ['ALL'], security_opt: ['no-new-privileges:true'], user: expect.stringMatching(/^\d+:\d+$/), image: render.IMAGE });
    }
  });

  it('the image runs as a numeric user from a pinned base', () => {
    const dockerfile = readFileSync(join(root, 'deploy/docker/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^USER \d+(:\d+)?$/m);
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base).toMatch(/^node:\d+\.\d+\.\d+-/);
  });

  it('a Deployment per role of every service, each locked down so runAsNonRoot is verifiable', () => {
    const expected = render.SERVICES.flatMap((s) => (s.roles.length === 1 ? [s.name] : s.roles.map((r) => `${s.name}-${r}`))).sort();
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(expected);
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      const container = pod.containers[0];
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: expect.any(Number), seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
      expect(container.image).toBe(render.IMAGE);
      expect(pinned(container.image)).toBe(true);
    }
  });

  it('probes on the health endpoints, with a startup probe that leaves room for migrations', () => {
    for (const d of deployments) {
      const c = d.spec.template.spec.containers[0];
      expect(c.startupProbe.httpGet.path).toBe('/health/live');
      expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(120);
      expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(c.livenessProbe.httpGet.path).toBe('/health/live');
    }
  });

  it('config from ConfigMaps and secrets from a Secret; a Service in front of every API', () => {
    for (const d of deployments) {
      const service = render.SERVICES.find((s) => s.name === d.metadata.labels['app.kubernetes.io/name'])!;
      const envFrom = d.spec.template.spec.containers[0].envFrom as Obj[];
      expect(envFrom).toContainEqual({ configMapRef: { name: `ionet-${service.name}` } });
      if (service.database) expect(envFrom).toContainEqual({ secretRef: { name: `ionet-${service.name}` } });
      expect(manifests.some((m) => m.kind === 'ConfigMap' && m.metadata.name === `ionet-${service.name}`)).toBe(true);
    }
    for (const s of render.SERVICES.filter((x) => x.roles.includes('api'))) {
      expect(manifests.find((m) => m.kind === 'Service' && m.metadata.name === s.name)?.spec.selector).toEqual({ 'app.kubernetes.io/name': s.name, 'app.kubernetes.io/component': 'api' });
    }
  });

  it('a new service is a few lines: its entry renders its compose service, its manifests and its place behind the gateway', () => {
    const withGovernance = render.renderAll([...render.SERVICES, { name: 'governance', localPort: 4107, roles: ['api', 'consumer', 'worker'], database: true, replicas: { api: 2 } }]);
    const composed = yaml.load(withGovernance['docker-compose.yml']!) as Obj;
    expect(composed.services.governance.ports).toEqual(['127.0.0.1:4107:3000']);
    expect(composed.services.gateway.environment.GATEWAY_UPSTREAMS).toContain('governance=http://governance:3000');
    const governance = yaml.loadAll(withGovernance['deploy/k8s/governance.yaml']!) as Obj[];
    expect(governance.filter((m) => m.kind === 'Deployment').map((m) => m.metadata.name)).toEqual(['governance-api', 'governance-consumer', 'governance-worker']);
    expect(withGovernance['deploy/k8s/kustomization.yaml']).toContain('governance.yaml');
    const gatewayConfig = (yaml.loadAll(withGovernance['deploy/k8s/gateway.yaml']!) as Obj[]).find((m) => m.kind === 'ConfigMap')!;
    expect(gatewayConfig.data.GATEWAY_UPSTREAMS).toBe('inventory=http://inventory,leasing=http://leasing,billing=http://billing,ledger=http://ledger,webhooks=http://webhooks,tokenomics=http://tokenomics,governance=http://governance');
  });

  it('the gateway reaches every service that exists, and services trust its X-Forwarded-For', () => {
    expect(compose.services.gateway.environment.GATEWAY_UPSTREAMS).toBe('inventory=http://inventory:3000,leasing=http://leasing:3000,billing=http://billing:3000,ledger=http://ledger:3000,webhooks=http://webhooks:3000,tokenomics=http://tokenomics:3000');
    const platform = yaml.load(files['deploy/k8s/platform.yaml']!) as Obj;
    expect(platform.data.HTTP_TRUSTED_PROXIES).toBeTruthy();
    for (const s of render.SERVICES.filter((x) => x.database)) expect(compose.services[s.name].environment.HTTP_TRUSTED_PROXIES).toBeTruthy();
  });
});
