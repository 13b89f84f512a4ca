import { commonV1, enumCodec, matchingV1, type DomainMoney, type DomainOf } from '@ionet/contracts';
import { eventCodec } from '@ionet/eventing';
import type { MessageShape } from '@bufbuild/protobuf';
import { CLUSTER_TYPES, CONNECTIVITY_TIERS, SECURITY_TIERS, SUPPLY_SOURCES, type Alternative, type ClusterType, type Explain, type ExplainStep, type Role } from '../../domain/placement';
import type { HeldDevice, PaymentAsset, QuoteEvent, QuoteRequest, ReleaseReason } from '../../domain/quote.decider';

// Asserted at start-up: the domain's names are exactly the contract's.
enumCodec(matchingV1.ClusterTypeSchema, CLUSTER_TYPES);
enumCodec(commonV1.ConnectivityTierSchema, CONNECTIVITY_TIERS);
enumCodec(commonV1.SecurityTierSchema, SECURITY_TIERS);
enumCodec(commonV1.SupplySourceSchema, SUPPLY_SOURCES);
enumCodec(matchingV1.ReservationRoleSchema, ['head', 'worker', 'node'] as const);

type WireReservation = DomainOf<MessageShape<typeof matchingV1.DeviceReservationSchema>>;
type WireExplain = DomainOf<MessageShape<typeof matchingV1.PlacementExplainSchema>>;
type WireRequest = DomainOf<MessageShape<typeof matchingV1.ClusterRequestedSchema>>;

const money = (amountBaseUnits: bigint, asset: PaymentAsset): DomainMoney => ({ amountBaseUnits, asset });

function reservationToWire(d: HeldDevice): WireReservation {
  return { deviceId: d.deviceId, supplierId: d.supplierId, gpuCount: d.gpuCount, pricePerGpuHour: money(d.pricePerGpuHour, d.asset), role: d.role, countryCode: d.countryCode, region: d.region };
}

/** The USD price is not on the wire (the payment-asset price is): for USDC and credits they are the same. */
function reservationFromWire(w: WireReservation): HeldDevice {
  const price = w.pricePerGpuHour!;
  return {
    deviceId: w.deviceId,
    supplierId: w.supplierId,
    gpuCount: w.gpuCount,
    pricePerGpuHour: price.amountBaseUnits,
    asset: price.asset as PaymentAsset,
    priceUsdMicros: price.asset === 'IO' ? 0n : price.amountBaseUnits,
    role: w.role as Role,
    countryCode: w.countryCode,
    region: w.region,
  };
}

export function explainToWire(e: Explain): WireExplain {
  return {
    steps: e.steps.map((s) => ({ filter: s.filter, devicesLeft: s.devicesLeft, gpusLeft: s.gpusLeft })),
    gpusRequested: e.gpusRequested,
    alternatives: e.alternatives.map((a) => ({ change: a.change, values: Array.isArray(a.value) ? a.value : [String(a.value)], gpusAvailable: a.gpusAvailable })),
  };
}

function explainFromWire(w: WireExplain | undefined): Explain {
  return {
    steps: (w?.steps ?? []).map((s) => ({ filter: s.filter as ExplainStep['filter'], devicesLeft: s.devicesLeft, gpusLeft: s.gpusLeft })),
    gpusRequested: w?.gpusRequested ?? 0,
    alternatives: (w?.alternatives ?? []).map((a) => ({
      change: a.change as Alternative['change'],
      value: a.change === 'countryCodes' || a.change === 'sources' ? a.values : a.change === 'gpuCount' ? Number(a.values[0]) : (a.values[0] ?? ''),
      gpusAvailable: a.gpusAvailable,
    })),
  };
}

function requestToWire(e: Extract<QuoteEvent, { type: 'QuoteHeld' }>): WireRequest {
  const r = e.request;
  return {
    requestId: e.requestId,
    customerId: e.customerId,
    clusterType: r.clusterType,
    purpose: '',
    gpuModel: r.gpuModel,
    gpuCount: r.gpuCount,
    countryCodes: r.countryCodes,
    regions: [],
    connectivityTier: r.connectivityTier,
    securityTier: r.securityTier,
    supplySources: r.sources,
    durationHours: r.durationHours,
    ...(r.maxPricePerGpuHour !== undefined ? { maxPricePerGpuHour: money(r.maxPricePerGpuHour, r.maxPriceAsset ?? r.paymentAsset) } : {}),
    paymentAsset: r.paymentAsset.toLowerCase(),
    requestedAt: e.at,
  } as WireRequest;
}

function requestFromWire(w: WireRequest): QuoteRequest {
  return {
    clusterType: w.clusterType as ClusterType,
    gpuModel: w.gpuModel,
    gpuCount: w.gpuCount,
    countryCodes: w.countryCodes,
    connectivityTier: w.connectivityTier as string,
    securityTier: w.securityTier as string,
    sources: w.supplySources as QuoteRequest['sources'],
    durationHours: w.durationHours,
    ...(w.maxPricePerGpuHour ? { maxPricePerGpuHour: w.maxPricePerGpuHour.amountBaseUnits, maxPriceAsset: w.maxPricePerGpuHour.asset as PaymentAsset } : {}),
    paymentAsset: w.paymentAsset.toUpperCase() as PaymentAsset,
  };
}

const RELEASE_REASONS: readonly ReleaseReason[] = ['quote_expired_unpaid', 'lease_ended', 'cancelled', 'funding_failed'];
enumCodec(matchingV1.ReservationReleaseReasonSchema, RELEASE_REASONS);

export const quoteEventCodec = eventCodec<QuoteEvent>()({
  QuoteHeld: {
    schema: matchingV1.ClusterMatchedSchema,
    toWire: (e) => {
      const asset = e.request.paymentAsset;
      return {
        requestId: e.requestId,
        customerId: e.customerId,
        quoteId: e.quoteId,
        reservations: e.devices.map(reservationToWire),
        durationHours: e.request.durationHours,
        computePrice: money(e.price.compute, asset),
        reservationFee: money(e.price.reservationFee, asset),
        paymentFee: money(e.price.paymentFee, asset),
        totalPrice: money(e.price.total, asset),
        quoteExpiresAt: e.expiresAt,
        matchedAt: e.at,
        clusterType: e.request.clusterType,
        // The Asset enum's domain names are lower case; Money's asset is the upper-case name.
        paymentAsset: asset.toLowerCase(),
        request: requestToWire(e),
      };
    },
    fromWire: (w) => ({
      type: 'QuoteHeld',
      quoteId: w.quoteId,
      requestId: w.requestId,
      customerId: w.customerId,
      request: requestFromWire(w.request!),
      devices: w.reservations.map(reservationFromWire),
      price: { compute: w.computePrice!.amountBaseUnits, reservationFee: w.reservationFee!.amountBaseUnits, paymentFee: w.paymentFee!.amountBaseUnits, total: w.totalPrice!.amountBaseUnits },
      expiresAt: w.quoteExpiresAt!,
      at: w.matchedAt!,
    }),
  },
  QuoteAccepted: {
    schema: matchingV1.QuoteAcceptedSchema,
    toWire: (e) => ({ requestId: e.requestId, quoteId: e.quoteId, leaseId: e.leaseId, acceptedAt: e.at }),
    fromWire: (w) => ({ type: 'QuoteAccepted', requestId: w.requestId, quoteId: w.quoteId, leaseId: w.leaseId, at: w.acceptedAt! }),
  },
  ReservationReleased: {
    schema: matchingV1.ReservationReleasedSchema,
    toWire: (e) => ({ requestId: e.requestId, quoteId: e.quoteId, deviceIds: e.deviceIds, reason: e.reason, releasedAt: e.at, leaseId: e.leaseId || undefined }),
    fromWire: (w) => ({ type: 'ReservationReleased', requestId: w.requestId, quoteId: w.quoteId, deviceIds: w.deviceIds, reason: w.reason as ReleaseReason, leaseId: w.leaseId ?? '', at: w.releasedAt! }),
  },
  ReplacementMatched: {
    schema: matchingV1.ReplacementMatchedSchema,
    toWire: (e) => ({ requestId: e.requestId, leaseId: e.leaseId, failedDeviceId: e.failedDeviceId, replacement: reservationToWire(e.replacement), matchedAt: e.at, quoteId: e.quoteId }),
    fromWire: (w) => ({ type: 'ReplacementMatched', requestId: w.requestId, leaseId: w.leaseId, failedDeviceId: w.failedDeviceId, replacement: reservationFromWire(w.replacement!), at: w.matchedAt!, quoteId: w.quoteId }),
  },
  ReplacementMatchFailed: {
    schema: matchingV1.ReplacementMatchFailedSchema,
    toWire: (e) => ({ requestId: e.requestId, leaseId: e.leaseId, failedDeviceId: e.failedDeviceId, reason: 'insufficient_capacity', failedAt: e.at, quoteId: e.quoteId, explain: explainToWire(e.explain) }),
    fromWire: (w) => ({ type: 'ReplacementMatchFailed', requestId: w.requestId, leaseId: w.leaseId, failedDeviceId: w.failedDeviceId, explain: explainFromWire(w.explain), at: w.failedAt!, quoteId: w.quoteId }),
  },
});
