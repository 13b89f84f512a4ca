/** The services behind the gateway: every context of ARCHITECTURE.md that answers HTTP. */
export const UPSTREAM_SERVICES = ['inventory', 'verification', 'matching', 'leasing', 'billing', 'tokenomics', 'governance', 'ledger', 'webhooks'] as const;
export type UpstreamService = (typeof UPSTREAM_SERVICES)[number];

export function isUpstreamService(value: string): value is UpstreamService {
  return (UPSTREAM_SERVICES as readonly string[]).includes(value);
}

/**
 * Who owns which resource of API.md, in one place. A rule matches the first path segments after
 * `/v1/`; `*` matches any one segment. The most specific rule wins (more segments, then fewer
 * wildcards), so `/v1/devices/{id}/eligibility` goes to verification while `/v1/devices/...` goes to
 * inventory. A route may carry a larger body limit than the gateway's default.
 */
export interface RouteRule {
  segments: readonly string[];
  service: UpstreamService;
  bodyLimitBytes?: number;
}

const MIB = 1_048_576;

export const ROUTE_RULES: readonly RouteRule[] = [
  // Accounts and money (billing)
  { segments: ['organizations'], service: 'billing' },
  { segments: ['api-keys'], service: 'billing' },
  { segments: ['me'], service: 'billing' },
  { segments: ['balances'], service: 'billing' },
  { segments: ['deposits'], service: 'billing' },
  { segments: ['transactions'], service: 'billing' },
  { segments: ['invoices'], service: 'billing' },
  { segments: ['payouts'], service: 'billing' },
  { segments: ['clusters', '*', 'cost-report'], service: 'billing' },
  // Supply (inventory)
  { segments: ['suppliers'], service: 'inventory' },
  { segments: ['devices'], service: 'inventory' },
  { segments: ['partner-networks'], service: 'inventory' },
  { segments: ['agent', 'enroll'], service: 'inventory' },
  { segments: ['agent', 'device'], service: 'inventory' },
  // Proofs and the agent's signed traffic (verification is the agents' one counterpart after
  // enrollment: heartbeats, work, challenge results and job reports; ADR 0400)
  { segments: ['agent', 'heartbeats'], service: 'verification', bodyLimitBytes: MIB },
  { segments: ['agent', 'challenges'], service: 'verification', bodyLimitBytes: MIB },
  { segments: ['agent', 'work'], service: 'verification' },
  { segments: ['agent', 'verification'], service: 'verification' },
  { segments: ['agent', 'jobs'], service: 'verification', bodyLimitBytes: MIB },
  { segments: ['proofs'], service: 'verification' },
  { segments: ['devices', '*', 'eligibility'], service: 'verification' },
  // Demand (matching, leasing)
  { segments: ['hardware'], service: 'matching' },
  { segments: ['offers'], service: 'matching' },
  { segments: ['quotes'], service: 'matching' },
  { segments: ['clusters'], service: 'leasing' },
  // Token (tokenomics)
  { segments: ['token'], service: 'tokenomics' },
  { segments: ['epochs'], service: 'tokenomics' },
  { segments: ['stakes'], service: 'tokenomics' },
  { segments: ['co-stake-offers'], service: 'tokenomics' },
  { segments: ['slashes'], service: 'tokenomics' },
  { segments: ['rewards'], service: 'tokenomics' },
  { segments: ['explorer'], service: 'tokenomics' },
  // Governance
  { segments: ['proposals'], service: 'governance' },
  { segments: ['parameters'], service: 'governance' },
  // Ledger
  { segments: ['ledger'], service: 'ledger' },
  // Webhooks (their own service: billing stays the money writer; ADR 0340)
  { segments: ['webhook-endpoints'], service: 'webhooks' },
  { segments: ['webhook-deliveries'], service: 'webhooks' },
];

/** Ops routes exist in every service; through the gateway they are `/v1/ops/{service}/...`. */
export const OPS_SEGMENT = 'ops';

export interface ResolvedRoute {
  service: UpstreamService;
  /** The path the service serves (ops routes lose their `{service}` segment). */
  upstreamPath: string;
  bodyLimitBytes: number | undefined;
}

const byPrecedence = [...ROUTE_RULES].sort(
  (a, b) => b.segments.length - a.segments.length || wildcards(a) - wildcards(b),
);

function wildcards(rule: RouteRule): number {
  return rule.segments.filter((s) => s === '*').length;
}

/** The service that owns a `/v1/...` path (no query string), or undefined when no service does. */
export function resolveRoute(path: string): ResolvedRoute | undefined {
  if (!path.startsWith('/v1/')) return undefined;
  const rest = path.slice(4);
  const segments = rest.split('/');
  if (segments[0] === OPS_SEGMENT) {
    const service = segments[1];
    if (!service || !isUpstreamService(service) || segments.length < 3 || !segments[2]) return undefined;
    return { service, upstreamPath: `/v1/${OPS_SEGMENT}/${segments.slice(2).join('/')}`, bodyLimitBytes: undefined };
  }
  for (const rule of byPrecedence) {
    if (rule.segments.length > segments.length) continue;
    if (rule.segments.every((s, i) => s === '*' ? segments[i] !== '' : s === segments[i])) {
      return { service: rule.service, upstreamPath: path, bodyLimitBytes: rule.bodyLimitBytes };
    }
  }
  return undefined;
}

/** The largest body any route accepts: what the gateway may have to read before it knows better. */
export function largestBodyLimitBytes(defaultLimitBytes: number): number {
  return Math.max(defaultLimitBytes, ...ROUTE_RULES.map((r) => r.bodyLimitBytes ?? 0));
}
