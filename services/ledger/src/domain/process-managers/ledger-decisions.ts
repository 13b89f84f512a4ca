import type { billingV1, DomainMoney, DomainOf, tokenomicsV1 } from '@ionet/contracts';
import { bpsOfFloor, DEFAULT_TOKENOMICS_PARAMETERS, emissionForEpoch, EMISSION_EPOCHS } from '@ionet/tokenomics';
import type { FeeRetainedEvent } from '../postings/ledger-postings';

/** What the ledger's process managers decide (proto/ionet/ledger/v1/events.proto), in domain shape.
 *  `PayoutAccrued` is no longer decided here: billing's `PayoutScheduled` is the payout (ADR 0323). */
export type LedgerDecision =
  | {
      type: 'LeaseFunded';
      leaseId: string;
      customerId: string;
      escrowId: string;
      escrowed: DomainMoney;
      sourceEventId: string;
      fundedAt: Date;
    }
  | {
      type: 'BuybackRequested';
      buybackRequestId: string;
      revenue: DomainMoney;
      buybackShareBasisPoints: number;
      buybackAmount: DomainMoney;
      sourceEventId: string;
      requestedAt: Date;
    }
  | {
      type: 'EmissionMintRequested';
      epochNumber: bigint;
      amount: DomainMoney;
      epochEnd: Date;
      sourceEventId: string;
      requestedAt: Date;
    };

/** A decision and the stream it is appended to: one decision per stream, so a stream that exists
 *  means "already decided" and a replay appends nothing (ADR 0330). */
export interface StreamDecision {
  /** The parts the stream id derives from (the application hashes them; the domain has no crypto). */
  readonly streamKey: readonly string[];
  readonly streamType: string;
  readonly decision: LedgerDecision;
}

export interface DecisionInputs {
  readonly eventId: string;
  /** Derives an id from its parts (the application passes @ionet/eventing's derivedId). */
  readonly idOf: (...parts: string[]) => string;
  /** Governed share of fee revenue for buyback (ADR 0104; the default until the ledger follows ParameterChanged). */
  readonly buybackShareBps?: number;
}

type Domain<T> = DomainOf<T>;

/** Escrow locked for a lease: the lease is funded, once per lease (a later lock funds an extension). */
export function onEscrowLocked(e: Domain<billingV1.EscrowLocked>, inputs: DecisionInputs): StreamDecision[] {
  return [
    {
      streamKey: ['lease-funded', e.leaseId],
      streamType: 'ledger-lease-funding',
      decision: {
        type: 'LeaseFunded',
        leaseId: e.leaseId,
        customerId: e.customerId,
        escrowId: e.escrowId,
        escrowed: e.amount!,
        sourceEventId: inputs.eventId,
        fundedAt: e.lockedAt!,
      },
    },
  ];
}

/** Fees kept from escrow (an early termination) are revenue: their share falls due for buyback. */
export function onFeeRetained(e: FeeRetainedEvent, inputs: DecisionInputs): StreamDecision[] {
  return e.amount ? buyback(e.amount, e.retainedAt!, inputs) : [];
}

/** A proven hour charged: the platform's fee is revenue whose share falls due for buyback. The
 *  supplier's earnings are not a decision of the ledger: billing's `PayoutScheduled` is the one payout
 *  (its period rules, its asset, its id), which the chain gateway executes (ADR 0323). */
export function onUsageCharged(e: Domain<billingV1.UsageCharged>, inputs: DecisionInputs): StreamDecision[] {
  return buyback(e.platformFee!, e.chargedAt!, inputs);
}

/** An epoch closed: its emission is due to be minted, once per epoch. */
export function onEpochClosed(e: Domain<tokenomicsV1.EpochClosed>, inputs: DecisionInputs): StreamDecision[] {
  if (e.epochNumber < 1n || e.epochNumber > BigInt(EMISSION_EPOCHS)) return [];
  const amount = emissionForEpoch(Number(e.epochNumber));
  if (amount === 0n) return [];
  return [
    {
      streamKey: ['emission-mint', e.epochNumber.toString()],
      streamType: 'ledger-emission-mint',
      decision: {
        type: 'EmissionMintRequested',
        epochNumber: e.epochNumber,
        amount: { amountBaseUnits: amount, asset: 'IO' },
        epochEnd: e.epochEnd!,
        sourceEventId: inputs.eventId,
        requestedAt: e.closedAt!,
      },
    },
  ];
}

function buyback(revenue: DomainMoney, at: Date, inputs: DecisionInputs): StreamDecision[] {
  const shareBps = inputs.buybackShareBps ?? DEFAULT_TOKENOMICS_PARAMETERS.buybackShareBps;
  // floor(revenue * share / 10,000), as planBuyback of @ionet/tokenomics splits it (ADR 0104).
  const amount = bpsOfFloor(revenue.amountBaseUnits, shareBps);
  if (amount <= 0n) return [];
  return [
    {
      streamKey: ['buyback-request', inputs.eventId],
      streamType: 'ledger-buyback-request',
      decision: {
        type: 'BuybackRequested',
        buybackRequestId: inputs.idOf('buyback-request', inputs.eventId),
        revenue,
        buybackShareBasisPoints: shareBps,
        buybackAmount: { amountBaseUnits: amount, asset: revenue.asset },
        sourceEventId: inputs.eventId,
        requestedAt: at,
      },
    },
  ];
}
