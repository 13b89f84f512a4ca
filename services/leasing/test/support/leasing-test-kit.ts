import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Asset, billingV1, commonV1, ledgerV1, matchingV1, verificationV1 } from '@ionet/contracts';
import { CommandHandlers } from '@ionet/eventing';
import { AgentWorkMailbox, ApiKeyService } from '@ionet/platform';
import { sendFact, startTestService, testKafka, type RunningTestService, type TestNamespace } from '@ionet/testing';
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import type { Producer } from 'kafkajs';
import type { EventContext } from '@ionet/contracts';
import { randomUUID } from 'node:crypto';
import { leaseAggregate } from '../../src/application/leasing-aggregates';
import { LeasesService } from '../../src/application/leases.service';
import type { LeaseEvent, LeaseState } from '../../src/domain/lease.decider';
import type { LeasingConfig } from '../../src/leasing.config';
import { leasingService } from '../../src/leasing.module';

export const PRICE = 2_000_000n; // 2 USDC per GPU-hour
const usdc = (n: bigint) => ({ amountBaseUnits: n.toString(), asset: Asset.USDC });

export interface TestQuote {
  quoteId: string;
  requestId: string;
  devices: Array<{ deviceId: string; supplierId: string }>;
}

/** Leasing on the real stack (PostgreSQL schema, Kafka topics, BullMQ queues and mailboxes of the
 *  test's namespace), with its consumers and workers. */
export class LeasingTestKit {
  svc!: RunningTestService<LeasingConfig>;
  mailbox!: AgentWorkMailbox;
  leases!: LeasesService;
  private handlers!: CommandHandlers;
  private producer?: Producer;

  constructor(readonly ns: TestNamespace) {}

  async start(env: Record<string, string> = {}): Promise<void> {
    this.svc = await startTestService(leasingService, {
      schema: this.ns.schema,
      serviceName: 'leasing',
      topicPrefix: this.ns.topicPrefix,
      env: { QUEUE_PREFIX: this.ns.queuePrefix, SERVICE_ROLES: 'api,consumer,worker', ...env },
    });
    this.mailbox = this.svc.app.get(AgentWorkMailbox);
    this.leases = this.svc.app.get(LeasesService);
    this.handlers = this.svc.app.get(CommandHandlers);
    this.producer = testKafka('leasing-test-publisher').producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect();
    await this.svc?.close();
  }

  /** A fact of another context, as its relay would publish it; returns its event id. */
  private publish<D extends DescMessage>(context: EventContext, schema: D, key: string, data: MessageInitShape<D>, aggregateVersion = 1n): Promise<string> {
    return sendFact(this.producer!, this.ns.topicPrefix, context, schema, key, data, { aggregateVersion });
  }

  async customerKey(organizationId: string): Promise<string> {
    return (await this.svc.app.get(ApiKeyService).issue(organizationId, ['customer'])).key;
  }

  async call(key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.svc.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /** Matching's facts for a quote: the request (its cluster type) and the match (reservations). */
  async quote(customerId: string, devices: number, options: { expiresAt?: Date; hours?: number; clusterType?: matchingV1.ClusterType; quoteId?: string } = {}): Promise<TestQuote> {
    const requestId = randomUUID();
    const quoteId = options.quoteId ?? randomUUID();
    const list = Array.from({ length: devices }, () => ({ deviceId: randomUUID(), supplierId: randomUUID() }));
    const hours = options.hours ?? 2;
    const compute = PRICE * BigInt(devices) * BigInt(hours);
    const request = {
      requestId,
      customerId,
      clusterType: options.clusterType ?? matchingV1.ClusterType.RAY,
      purpose: 'training',
      gpuModel: 'RTX-4090',
      gpuCount: devices,
      countryCodes: ['DE'],
      connectivityTier: commonV1.ConnectivityTier.HIGH,
      securityTier: commonV1.SecurityTier.STANDARD,
      supplySources: [commonV1.SupplySource.INDIVIDUAL],
      durationHours: hours,
      paymentAsset: Asset.USDC,
      requestedAt: timestampFromDate(new Date()),
    };
    await this.publish('matching', matchingV1.ClusterRequestedSchema, requestId, request);
    await this.publish(
      'matching',
      matchingV1.ClusterMatchedSchema,
      requestId,
      {
        requestId,
        customerId,
        quoteId,
        reservations: list.map((d, i) => ({
          ...d,
          gpuCount: 1,
          pricePerGpuHour: usdc(PRICE),
          role: (options.clusterType ?? matchingV1.ClusterType.RAY) === matchingV1.ClusterType.RAY ? (i === 0 ? matchingV1.ReservationRole.HEAD : matchingV1.ReservationRole.WORKER) : matchingV1.ReservationRole.NODE,
          countryCode: 'DE',
          region: 'eu-central',
        })),
        clusterType: request.clusterType,
        paymentAsset: Asset.USDC,
        request,
        durationHours: hours,
        computePrice: usdc(compute),
        reservationFee: usdc(compute / 400n),
        paymentFee: usdc(compute / 50n),
        totalPrice: usdc(compute + compute / 400n + compute / 50n),
        quoteExpiresAt: timestampFromDate(options.expiresAt ?? new Date(Date.now() + 20 * 60_000)),
        matchedAt: timestampFromDate(new Date()),
      },
      2n,
    );
    return { quoteId, requestId, devices: list };
  }

  funded(leaseId: string, customerId: string): Promise<string> {
    return this.publish('ledger', ledgerV1.LeaseFundedSchema, leaseId, {
      leaseId,
      customerId,
      escrowId: leaseId,
      escrowed: usdc(1n),
      sourceEventId: randomUUID(),
      fundedAt: timestampFromDate(new Date()),
    });
  }

  fundingFailed(leaseId: string, customerId: string): Promise<string> {
    return this.publish('billing', billingV1.EscrowLockFailedSchema, leaseId, {
      leaseId,
      customerId,
      required: usdc(10n),
      available: usdc(0n),
      failedAt: timestampFromDate(new Date()),
      fundingId: leaseId,
      sourceEventId: randomUUID(),
      reason: 'funding_window_expired',
    });
  }

  jobReported(leaseId: string, jobId: string, deviceId: string, sequence: number, kind: 'accepted' | 'started' | 'running' | 'exited' | 'log' | 'stopped' | 'failed_to_start', extra: { text?: string; stream?: string; exitCode?: number } = {}): Promise<string> {
    return this.publish('verification', verificationV1.AgentJobReportedSchema, jobId, {
      jobId,
      leaseId,
      deviceId,
      sequence: BigInt(sequence),
      kind: verificationV1.AgentJobEventKind[kind.toUpperCase() as keyof typeof verificationV1.AgentJobEventKind],
      text: extra.text ?? '',
      stream: extra.stream ?? '',
      ...(extra.exitCode === undefined ? {} : { exitCode: extra.exitCode }),
      reportedAt: timestampFromDate(new Date()),
      receivedAt: timestampFromDate(new Date()),
    });
  }

  hourVerified(leaseId: string, deviceId: string, hourIndex: number, start: Date): Promise<string> {
    return this.publish('verification', verificationV1.TimeLockHourVerifiedSchema, `${leaseId}:${deviceId}`, {
      leaseId,
      deviceId,
      hourIndex,
      hourStart: timestampFromDate(start),
      hourEnd: timestampFromDate(new Date(start.getTime() + 3_600_000)),
      heartbeatCount: 120,
      chainHeadHash: new Uint8Array(32),
      gpuUtilisationBasisPoints: 9_000,
      verifiedAt: timestampFromDate(new Date()),
    });
  }

  hourViolated(leaseId: string, deviceId: string, hourIndex: number, start: Date): Promise<string> {
    return this.publish('verification', verificationV1.TimeLockViolatedSchema, `${leaseId}:${deviceId}`, {
      leaseId,
      deviceId,
      hourIndex,
      hourStart: timestampFromDate(start),
      hourEnd: timestampFromDate(new Date(start.getTime() + 3_600_000)),
      violation: verificationV1.TimeLockViolation.GAP_EXCEEDED,
      detail: 'no heartbeats for 20 minutes',
      detectedAt: timestampFromDate(new Date()),
    });
  }

  replacement(leaseId: string, failedDeviceId: string): Promise<{ deviceId: string; supplierId: string }> {
    const replacement = { deviceId: randomUUID(), supplierId: randomUUID() };
    return this.publish('matching', matchingV1.ReplacementMatchedSchema, leaseId, {
      requestId: randomUUID(),
      leaseId,
      failedDeviceId,
      quoteId: randomUUID(),
      replacement: { ...replacement, gpuCount: 1, pricePerGpuHour: usdc(PRICE), role: matchingV1.ReservationRole.WORKER, countryCode: 'DE', region: 'eu-central' },
      matchedAt: timestampFromDate(new Date()),
    }).then(() => replacement);
  }

  async state(leaseId: string): Promise<LeaseState> {
    return this.leases.load(leaseId);
  }

  async events(leaseId: string): Promise<LeaseEvent[]> {
    return (await this.handlers.for(leaseAggregate).load(leaseId)).events.map((e) => e.event);
  }
}
