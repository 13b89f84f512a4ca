import { verificationV1 } from '@ionet/contracts';
import { causedByEvent, CommandHandlers, defineProjection, derivedId, on } from '@ionet/eventing';
import { bpsOfFloor, own, slashableStakeBaseUnits, type StakingState } from '@ionet/tokenomics';
import { applyToBook, STAKING_BOOK_STREAM } from '../staking.service';
import { stakingBookAggregate } from '../tokenomics-aggregates';
import { ELIGIBILITY_TABLES } from './eligibility.projection';

export const SLASHING = 'tokenomics_slashing';

/**
 * Verification's time-lock violations slash the device's stake (ADR 0612): `slashBps` of what is at
 * stake when the fact is handled, as a failed service, with the violation as evidence. The slash id
 * derives from the violation's event id, so a redelivery or a rebuild slashes nothing twice. A
 * device without stake in the book is not slashed.
 */
export function slashingProjection(handlers: CommandHandlers, slashBps: number) {
  return defineProjection({
    name: SLASHING,
    version: 1,
    consumerGroup: 'tokenomics.slashing',
    contexts: ['verification'],
    appendsEvents: true,
    tables: [],
    handlers: [
      on(verificationV1.TimeLockViolatedSchema, async (e, metadata, ctx) => {
        if (slashBps === 0) return;
        const { state } = await handlers.for(stakingBookAggregate).load(STAKING_BOOK_STREAM, ctx.tx);
        const atMs = (e.detectedAt ?? metadata.occurredAt).getTime();
        const amount = slashAmount(state, e.deviceId, atMs, slashBps);
        if (amount === 0n) return;
        const { rows } = await ctx.tx.query<{ tenant_id: string }>(`select tenant_id from ${ELIGIBILITY_TABLES.devices} where device_id = $1`, [e.deviceId]);
        await applyToBook(
          handlers,
          ctx.tx,
          { type: 'SlashStake', slashId: derivedId('slash', metadata.eventId), deviceId: e.deviceId, reason: 'FAILED_SERVICE', amountBaseUnits: amount, evidenceEventId: metadata.eventId, atMs },
          causedByEvent(metadata),
          { deviceIds: [e.deviceId], ownerTenants: { [e.deviceId]: rows[0]?.tenant_id ?? '' }, now: new Date(atMs) },
        );
      }),
    ],
  });
}

/** `bps` of the device's stake at risk (bonded, cooling down, and a co-stake not yet released). */
export function slashAmount(state: StakingState, deviceId: string, atMs: number, bps: number): bigint {
  if (!own(state.devices, deviceId)) return 0n;
  const { ownerBaseUnits, coStakeBaseUnits } = slashableStakeBaseUnits(state, deviceId, atMs);
  return bpsOfFloor(ownerBaseUnits + coStakeBaseUnits, bps);
}

