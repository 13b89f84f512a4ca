import { OPS_SEGMENT, resolveRoute, type UpstreamService } from '../routing/route-table';

/** The parts of an OpenAPI 3 document the merge reads; everything else passes through untouched. */
export interface OpenApiDocument {
  openapi?: string;
  info?: Record<string, unknown>;
  paths?: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown> | undefined>;
  tags?: { name: string; description?: string }[];
  security?: unknown[];
  [key: string]: unknown;
}

export interface ServiceDocument {
  service: UpstreamService;
  document: OpenApiDocument | undefined;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);

/**
 * One document for the gateway's base URL. Only the `/v1/...` paths the route table gives to a service
 * are taken from it (a service cannot publish another's resources, and health and metrics stay
 * internal); ops paths move under `/v1/ops/{service}/`. Components of the same name and the same
 * content are shared; a clash is renamed `<service>_<name>` and that service's references follow.
 */
export function mergeOpenApi(documents: ServiceDocument[], info: { title: string; version: string; description: string }): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Record<string, Record<string, unknown>> = {};
  const tags = new Map<string, { name: string; description?: string }>();
  const available: string[] = [];
  const unavailable: string[] = [];

  for (const { service, document } of documents) {
    if (!document?.paths) {
      unavailable.push(service);
      continue;
    }
    available.push(service);
    const renames = new Map<string, string>();
    const placed: { section: string; name: string; value: unknown }[] = [];
    for (const [section, entries] of Object.entries(document.components ?? {})) {
      if (!entries) continue;
      const target = (components[section] ??= {});
      for (const [name, value] of Object.entries(entries)) {
        const existing = target[name];
        const clash = existing !== undefined && JSON.stringify(existing) !== JSON.stringify(value);
        const finalName = clash ? `${service}_${name}` : name;
        if (clash) renames.set(`#/components/${section}/${name}`, `#/components/${section}/${finalName}`);
        placed.push({ section, name: finalName, value });
      }
    }
    const follow = <T>(value: T): T => (renames.size === 0 ? value : rewriteRefs(value, renames));
    for (const { section, name, value } of placed) components[section]![name] = follow(value);
    for (const [path, item] of Object.entries(document.paths)) {
      const publicPath = publicPathOf(service, path);
      if (!publicPath) continue;
      const operations: Record<string, unknown> = {};
      for (const [key, operation] of Object.entries(item)) {
        if (!HTTP_METHODS.has(key) || typeof operation !== 'object' || operation === null) {
          operations[key] = follow(operation);
          continue;
        }
        const op = follow(operation) as Record<string, unknown>;
        const opTags = Array.isArray(op.tags) && op.tags.length > 0 ? (op.tags as string[]) : [service];
        for (const tag of opTags) if (!tags.has(tag)) tags.set(tag, { name: tag });
        operations[key] = {
          ...op,
          tags: opTags,
          ...(typeof op.operationId === 'string' ? { operationId: `${service}_${op.operationId}` } : {}),
          'x-ionet-service': service,
        };
      }
      paths[publicPath] = { ...(paths[publicPath] ?? {}), ...operations };
    }
    for (const tag of document.tags ?? []) tags.set(tag.name, tag);
  }

  return {
    openapi: '3.0.0',
    info: { ...info, 'x-ionet-services': { available, unavailable } },
    servers: [{ url: '/' }],
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components,
    tags: [...tags.values()].sort((a, b) => a.name.localeCompare(b.name)),
    security: [{ apiKey: [] }],
  };
}

/** The path a service's operation has through the gateway, or undefined when it is not public. */
export function publicPathOf(service: UpstreamService, path: string): string | undefined {
  if (path.startsWith(`/v1/${OPS_SEGMENT}/`)) return `/v1/${OPS_SEGMENT}/${service}/${path.slice(`/v1/${OPS_SEGMENT}/`.length)}`;
  // Path templates have `{param}` segments: any one value stands for them when asking the route table.
  const probe = path.replace(/\{[^}/]+\}/g, 'x');
  return resolveRoute(probe)?.service === service ? path : undefined;
}

function rewriteRefs<T>(value: T, renames: Map<string, string>): T {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, renames)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === '$ref' && typeof v === 'string' ? (renames.get(v) ?? v) : rewriteRefs(v, renames);
    }
    return out as T;
  }
  return value;
}

/** Every operation of a merged document: what the fuzz test and the docs page walk. */
export function operationsOf(document: OpenApiDocument): { method: string; path: string; operation: Record<string, unknown> }[] {
  const out: { method: string; path: string; operation: Record<string, unknown> }[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (HTTP_METHODS.has(method) && operation && typeof operation === 'object') out.push({ method: method.toUpperCase(), path, operation: operation as Record<string, unknown> });
    }
  }
  return out;
}
