import { Inject, Injectable } from '@nestjs/common';
import { newEventId } from '@ionet/contracts';
import { causedByRequest, CommandHandlers, derivedId, PgTransactionRunner, type CommandCause, type EventingTransaction, type SqlExecutor } from '@ionet/eventing';
import { CLOCK, decodeCursor, PG_POOL, toPage, type AuthContext, type Clock, type Page } from '@ionet/platform';
import {
  coStakeEarns,
  countedStakeBaseUnits,
  currentOffer,
  DEFAULT_TOKENOMICS_PARAMETERS,
  own,
  type SlashReason,
  type StakingState,
} from '@ionet/tokenomics';
import type { Pool } from 'pg';
import type { StakingBookCommand } from '../domain/staking/staking-book.decider';
import { TokenomicsServiceError } from '../domain/shared/tokenomics-service.errors';
import { stakeIdOf } from '../infrastructure/messaging/staking-event-codec';
import { ELIGIBILITY_TABLES } from './projections/eligibility.projection';
import { stakingBookAggregate } from './tokenomics-aggregates';

/** The one stream of the staking book (ADR 0611). */
export const STAKING_BOOK_STREAM = derivedId('staking-book', 'v1');

type Idempotency = { tenantId: string; key: string } | undefined;
const io = (amountBaseUnits: bigint) => ({ amountBaseUnits: amountBaseUnits.toString(), asset: 'IO' as const });

export interface StakeView {
  stakeId: string;
  deviceId: string;
  stakerWallet: string;
  role: 'owner' | 'co_staker';
  staked: { amountBaseUnits: string; asset: 'IO' };
  unbonding: { amountBaseUnits: string; asset: 'IO' };
  createdAt: string;
  updatedAt: string;
}

interface StakeDevice {
  device_id: string;
  supplier_id: string;
  tenant_id: string;
  device_class: string;
  gpu_model: string | null;
  gpu_count: number;
  status: string;
  wallet: string | null;
}

/** Staking at the edge: the book's commands, and its state written to the tables the API and the
 *  epoch closer read, in the same transaction. */
@Injectable()
export class StakingService {
  private readonly transactions: PgTransactionRunner;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly handlers: CommandHandlers,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.transactions = new PgTransactionRunner(pool);
  }

  /** The device's owner stakes on it (the first stake registers it in the book; it must reach the
   *  device's minimum). */
  async stake(caller: AuthContext, requestId: string, idempotency: Idempotency, deviceId: string, amountBaseUnits: bigint): Promise<StakeView> {
    const device = await this.device(caller, deviceId);
    if (!device.wallet) throw new TokenomicsServiceError('STAKE.NO_WALLET', `device ${deviceId} has no payout wallet: set one before staking`);
    const cpu = device.device_class === 'cpu';
    const command: StakingBookCommand = {
      type: 'Stake',
      deviceId,
      ownerWallet: device.wallet,
      model: cpu ? 'cpu' : (device.gpu_model ?? ''),
      gpuCount: cpu ? 1 : Math.max(1, device.gpu_count),
      pool: cpu ? 'CPU' : 'GPU',
      amountBaseUnits,
      atMs: this.clock.now().getTime(),
    };
    await this.run(command, requestId, idempotency, [deviceId], { [deviceId]: device.tenant_id });
    return this.position(stakeIdOf(deviceId, device.wallet));
  }

  async unstake(caller: AuthContext, requestId: string, idempotency: Idempotency, stakeId: string, amountBaseUnits: bigint | undefined) {
    const position = await this.ownPosition(caller, stakeId);
    if (position.role !== 'owner') throw new TokenomicsServiceError('STAKE.NOT_OWNER', 'a co-stake leaves through its offer, not an unstake');
    const device = await this.device(caller, position.deviceId);
    const unstakeId = idempotency ? derivedId('unstake', idempotency.tenantId, idempotency.key) : newEventId();
    const amount = amountBaseUnits ?? BigInt(position.staked.amountBaseUnits);
    const command: StakingBookCommand = {
      type: 'Unstake',
      unstakeId,
      deviceId: position.deviceId,
      wallet: position.stakerWallet,
      amountBaseUnits: amount,
      leased: device.status === 'leased',
      atMs: this.clock.now().getTime(),
    };
    await this.run(command, requestId, idempotency, [position.deviceId], { [position.deviceId]: device.tenant_id });
    const { rows } = await this.pool.query<{ unstake_id: string; amount_base_units: string; requested_at: Date; cooldown_ends_at: Date }>(`select * from unstakes where unstake_id = $1`, [unstakeId]);
    const row = rows[0]!;
    return { unstakeId, stakeId, deviceId: position.deviceId, amount: io(BigInt(row.amount_base_units)), requestedAt: row.requested_at.toISOString(), cooldownEndsAt: row.cooldown_ends_at.toISOString() };
  }

  async createOffer(caller: AuthContext, requestId: string, idempotency: Idempotency, deviceId: string, shareBps: number, amountBaseUnits: bigint) {
    const device = await this.device(caller, deviceId);
    const offerId = idempotency ? derivedId('co-stake-offer', idempotency.tenantId, idempotency.key) : newEventId();
    await this.run(
      { type: 'CreateCoStakeOffer', offerId, deviceId, supplierId: device.supplier_id, wallet: device.wallet ?? '', requestedBaseUnits: amountBaseUnits, coStakerShareBps: shareBps, atMs: this.clock.now().getTime() },
      requestId,
      idempotency,
      [deviceId],
      { [deviceId]: device.tenant_id },
    );
    return this.offer(offerId);
  }

  async acceptOffer(caller: AuthContext, requestId: string, idempotency: Idempotency, offerId: string, coStakerWallet: string) {
    const { rows } = await this.pool.query<{ device_id: string; owner_tenant_id: string }>(`select device_id, owner_tenant_id from co_stake_offers where offer_id = $1`, [offerId]);
    const offer = rows[0];
    if (!offer) throw new TokenomicsServiceError('COSTAKE.OFFER_NOT_FOUND', `no co-stake offer ${offerId}`);
    await this.run(
      { type: 'ClaimCoStakeOffer', offerId, coStakerWallet, atMs: this.clock.now().getTime() },
      requestId,
      idempotency,
      [offer.device_id],
      { [offer.device_id]: offer.owner_tenant_id },
      { offerId, tenantId: caller.tenantId },
    );
    return { ...(await this.offer(offerId)), stakeId: stakeIdOf(offer.device_id, coStakerWallet) };
  }

  /** The caller's positions (ops: everyone's), oldest first. */
  async list(caller: AuthContext, limit: number, cursor?: string): Promise<Page<StakeView>> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (!caller.scopes.includes('ops')) {
      params.push(caller.tenantId);
      where.push(`tenant_id = $${params.length}`);
    }
    if (cursor) {
      const c = decodeCursor(cursor, { createdAt: 'timestamp', stakeId: 'uuid' });
      params.push(c.createdAt, c.stakeId);
      where.push(`(created_at, stake_id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const { rows } = await this.pool.query<PositionRow>(
      `select * from stake_positions ${where.length ? `where ${where.join(' and ')}` : ''} order by created_at, stake_id limit $${params.length}`,
      params,
    );
    return toPage(rows.map(positionView), limit, (p) => ({ createdAt: p.createdAt, stakeId: p.stakeId }));
  }

  private async ownPosition(caller: AuthContext, stakeId: string): Promise<StakeView> {
    const { rows } = await this.pool.query<PositionRow>(`select * from stake_positions where stake_id = $1`, [stakeId]);
    const row = rows[0];
    if (!row || (!caller.scopes.includes('ops') && row.tenant_id !== caller.tenantId)) throw new TokenomicsServiceError('STAKE.NOT_FOUND', `no stake ${stakeId}`);
    return positionView(row);
  }

  private async position(stakeId: string): Promise<StakeView> {
    const { rows } = await this.pool.query<PositionRow>(`select * from stake_positions where stake_id = $1`, [stakeId]);
    return positionView(rows[0]!);
  }

  private async offer(offerId: string) {
    const { rows } = await this.pool.query<{ offer_id: string; device_id: string; owner_wallet: string; requested_base_units: string; share_bps: number; status: string; co_staker_wallet: string | null; created_at: Date }>(
      `select * from co_stake_offers where offer_id = $1`,
      [offerId],
    );
    const o = rows[0]!;
    return {
      offerId: o.offer_id,
      deviceId: o.device_id,
      ownerWallet: o.owner_wallet,
      sharePercent: o.share_bps / 100,
      stakeRequired: io(BigInt(o.requested_base_units)),
      status: o.status,
      coStakerWallet: o.co_staker_wallet,
      createdAt: o.created_at.toISOString(),
    };
  }

  /** A device the caller may stake on: its own organization's (ops: any). */
  private async device(caller: AuthContext, deviceId: string): Promise<StakeDevice> {
    const { rows } = await this.pool.query<StakeDevice>(
      `select d.device_id, d.supplier_id, d.tenant_id, d.device_class, d.gpu_model, d.gpu_count, d.status, coalesce(nullif(d.payout_wallet, ''), nullif(s.payout_wallet, '')) as wallet
         from ${ELIGIBILITY_TABLES.devices} d left join ${ELIGIBILITY_TABLES.suppliers} s on s.supplier_id = d.supplier_id where d.device_id = $1`,
      [deviceId],
    );
    const device = rows[0];
    if (!device || (!caller.scopes.includes('ops') && device.tenant_id !== caller.tenantId)) throw new TokenomicsServiceError('STAKE.DEVICE_NOT_FOUND', `no device ${deviceId}`);
    return device;
  }

  /** Decides on the book and writes what changed for the devices touched, in one transaction. */
  private async run(command: StakingBookCommand, requestId: string, idempotency: Idempotency, deviceIds: string[], ownerTenants: Record<string, string>, claim?: { offerId: string; tenantId: string }): Promise<void> {
    await this.transactions.transaction((tx) => applyToBook(this.handlers, tx, command, causedByRequest(requestId, idempotency), { deviceIds, ownerTenants, claim, now: this.clock.now() }));
  }

  /** Ops slash a device's stake (spoofed hardware, tampered data, failed service). */
  async slash(requestId: string, idempotency: Idempotency, deviceId: string, reason: SlashReason, amountBaseUnits: bigint, evidenceEventId: string | undefined) {
    const tenant = await this.ownerTenantOf(deviceId);
    const slashId = idempotency ? derivedId('slash', idempotency.tenantId, idempotency.key) : newEventId();
    const evidence = evidenceEventId ?? requestId;
    await this.run({ type: 'SlashStake', slashId, deviceId, reason, amountBaseUnits, evidenceEventId: evidence, atMs: this.clock.now().getTime() }, requestId, idempotency, [deviceId], { [deviceId]: tenant });
    return this.slashView(slashId);
  }

  /** The owner of a slashed device appeals within the window (ops may file it for them). */
  async appeal(caller: AuthContext, requestId: string, idempotency: Idempotency, slashId: string) {
    const slash = await this.ownSlash(caller, slashId);
    await this.run({ type: 'AppealSlash', slashId, atMs: this.clock.now().getTime() }, requestId, idempotency, [slash.device_id], { [slash.device_id]: slash.owner_tenant_id });
    return this.slashView(slashId);
  }

  /** Ops decide an appeal: won returns the slashed IO, lost burns it. */
  async resolve(caller: AuthContext, requestId: string, idempotency: Idempotency, slashId: string, appealWon: boolean) {
    const slash = await this.ownSlash(caller, slashId);
    await this.run({ type: 'ResolveSlashAppeal', slashId, appealWon, atMs: this.clock.now().getTime() }, requestId, idempotency, [slash.device_id], { [slash.device_id]: slash.owner_tenant_id });
    return this.slashView(slashId);
  }

  /** The caller's devices' slashes (ops: all), newest first. */
  async slashes(caller: AuthContext, limit: number, cursor?: string) {
    const params: unknown[] = [];
    const where: string[] = [];
    if (!caller.scopes.includes('ops')) {
      params.push(caller.tenantId);
      where.push(`owner_tenant_id = $${params.length}`);
    }
    if (cursor) {
      const c = decodeCursor(cursor, { slashedAt: 'timestamp', slashKey: 'string' });
      params.push(c.slashedAt, c.slashKey);
      where.push(`(slashed_at, slash_id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(limit + 1);
    const { rows } = await this.pool.query<SlashRow>(`select * from slashes ${where.length ? `where ${where.join(' and ')}` : ''} order by slashed_at desc, slash_id desc limit $${params.length}`, params);
    return toPage(rows.map(slashView), limit, (v) => ({ slashedAt: v.slashedAt, slashKey: v.slashId }));
  }

  private async slashView(slashId: string) {
    const { rows } = await this.pool.query<SlashRow>(`select * from slashes where slash_id = $1`, [slashId]);
    return slashView(rows[0]!);
  }

  private async ownSlash(caller: AuthContext, slashId: string): Promise<SlashRow> {
    const { rows } = await this.pool.query<SlashRow>(`select * from slashes where slash_id = $1`, [slashId]);
    const row = rows[0];
    if (!row || (!caller.scopes.includes('ops') && row.owner_tenant_id !== caller.tenantId)) throw new TokenomicsServiceError('SLASH.NOT_FOUND', `no slash ${slashId}`);
    return row;
  }

  private async ownerTenantOf(deviceId: string): Promise<string> {
    const { rows } = await this.pool.query<{ tenant_id: string }>(`select tenant_id from ${ELIGIBILITY_TABLES.devices} where device_id = $1`, [deviceId]);
    if (!rows[0]) throw new TokenomicsServiceError('STAKE.DEVICE_NOT_FOUND', `no device ${deviceId}`);
    return rows[0].tenant_id;
  }
}

/** One staking decision and its rows, in `tx` (a request's transaction, a consumer's batch, a job's). */
export async function applyToBook(
  handlers: CommandHandlers,
  tx: SqlExecutor,
  command: StakingBookCommand,
  cause: CommandCause,
  options: { deviceIds: string[]; ownerTenants: Record<string, string>; claim?: { offerId: string; tenantId: string }; now: Date },
): Promise<StakingState> {
  const result = await handlers.for(stakingBookAggregate).handle(STAKING_BOOK_STREAM, command, cause, { tx: tx as EventingTransaction });
  const { claim } = options;
  if (claim) await tx.query(`update co_stake_offers set co_staker_tenant_id = coalesce(co_staker_tenant_id, $2) where offer_id = $1`, [claim.offerId, claim.tenantId]);
  const evidence = command.type === 'SlashStake' ? { [command.slashId]: command.evidenceEventId } : undefined;
  for (const deviceId of options.deviceIds) await writeDevice(tx, result.state, deviceId, options.now, options.ownerTenants[deviceId]!, claim, evidence);
  return result.state;
}

interface SlashRow {
  slash_id: string;
  device_id: string;
  owner_tenant_id: string;
  owner_wallet: string;
  reason: string;
  from_owner_base_units: string;
  co_staker_wallet: string | null;
  from_co_staker_base_units: string;
  status: string;
  evidence_event_id: string;
  appeal_deadline_at: Date;
  slashed_at: Date;
  appealed_at: Date | null;
}

function slashView(r: SlashRow) {
  const fromOwner = BigInt(r.from_owner_base_units);
  const fromCo = BigInt(r.from_co_staker_base_units);
  return {
    slashId: r.slash_id,
    deviceId: r.device_id,
    reason: r.reason,
    status: r.status,
    amount: io(fromOwner + fromCo),
    ownerWallet: r.owner_wallet,
    fromOwner: io(fromOwner),
    coStakerWallet: r.co_staker_wallet,
    fromCoStaker: io(fromCo),
    evidenceEventId: r.evidence_event_id,
    appealDeadlineAt: r.appeal_deadline_at.toISOString(),
    slashedAt: r.slashed_at.toISOString(),
    appealedAt: r.appealed_at?.toISOString() ?? null,
  };
}

interface PositionRow {
  stake_id: string;
  device_id: string;
  staker_wallet: string;
  role: 'owner' | 'co_staker';
  tenant_id: string;
  staked_base_units: string;
  unbonding_base_units: string;
  created_at: Date;
  updated_at: Date;
}

function positionView(r: PositionRow): StakeView {
  return {
    stakeId: r.stake_id,
    deviceId: r.device_id,
    stakerWallet: r.staker_wallet,
    role: r.role,
    staked: io(BigInt(r.staked_base_units)),
    unbonding: io(BigInt(r.unbonding_base_units)),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** Writes one device's part of the book: its counted stake (for the epoch closer), the owner's and
 *  co-staker's positions, its unstakes and offers. Idempotent: everything is an upsert of state. */
export async function writeDevice(
  tx: SqlExecutor,
  state: StakingState,
  deviceId: string,
  now: Date,
  ownerTenantId: string,
  claim?: { offerId: string; tenantId: string },
  evidence?: Record<string, string>,
): Promise<void> {
  const d = own(state.devices, deviceId);
  if (!d) return;
  const atMs = now.getTime();
  const offer = currentOffer(state, deviceId);
  const coHolds = offer && offer.coStakerWallet && (offer.status === 'active' || offer.status === 'exiting');
  await tx.query(
    `insert into device_stakes (device_id, owner_wallet, counted_base_units, co_staker_wallet, co_staker_share_bps, co_staker_earns, updated_at) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (device_id) do update set owner_wallet = excluded.owner_wallet, counted_base_units = excluded.counted_base_units, co_staker_wallet = excluded.co_staker_wallet,
       co_staker_share_bps = excluded.co_staker_share_bps, co_staker_earns = excluded.co_staker_earns, updated_at = excluded.updated_at`,
    [deviceId, d.ownerWallet, countedStakeBaseUnits(state, deviceId, atMs).toString(), coHolds ? offer.coStakerWallet : null, coHolds ? offer.coStakerShareBps : null, Boolean(offer && coStakeEarns(offer)), now],
  );
  const unstakes = Object.values(state.unstakes).filter((u) => u.deviceId === deviceId);
  const unbonding = unstakes.filter((u) => !u.withdrawn).reduce((s, u) => s + u.amountBaseUnits, 0n);
  await upsertPosition(tx, stakeIdOf(deviceId, d.ownerWallet), deviceId, d.ownerWallet, 'owner', ownerTenantId, d.ownerStakeBaseUnits, unbonding, now);
  for (const u of unstakes) {
    await tx.query(
      `insert into unstakes (unstake_id, stake_id, device_id, staker_wallet, amount_base_units, requested_at, cooldown_ends_at, withdrawn) values ($1, $2, $3, $4, $5, $6, $7, $8)
       on conflict (unstake_id) do update set withdrawn = excluded.withdrawn`,
      [u.unstakeId, stakeIdOf(deviceId, u.wallet), deviceId, u.wallet, u.amountBaseUnits.toString(), new Date(u.releasesAtMs - DEFAULT_TOKENOMICS_PARAMETERS.unstakeCooldownMs), new Date(u.releasesAtMs), u.withdrawn],
    );
  }
  for (const sl of Object.values(state.slashes).filter((x) => x.deviceId === deviceId)) {
    await tx.query(
      `insert into slashes (slash_id, device_id, owner_tenant_id, owner_wallet, reason, from_owner_base_units, co_staker_wallet, from_co_staker_base_units, status, evidence_event_id, appeal_deadline_at, slashed_at, appealed_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10, ''), $11, $12, $13, $14)
       on conflict (slash_id) do update set status = excluded.status, appealed_at = excluded.appealed_at, updated_at = excluded.updated_at`,
      [
        sl.slashId,
        deviceId,
        ownerTenantId,
        sl.ownerWallet,
        sl.reason.toLowerCase(),
        sl.fromOwnerBaseUnits.toString(),
        sl.coStakerWallet,
        sl.fromCoStakerBaseUnits.toString(),
        sl.status,
        evidence?.[sl.slashId] ?? null,
        new Date(sl.appealDeadlineMs),
        new Date(sl.slashedAtMs),
        sl.appealedAtMs === null ? null : new Date(sl.appealedAtMs),
        now,
      ],
    );
  }
  for (const o of Object.values(state.offers).filter((x) => x.deviceId === deviceId)) {
    await tx.query(
      `insert into co_stake_offers (offer_id, device_id, owner_wallet, owner_tenant_id, requested_base_units, share_bps, status, co_staker_wallet, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
       on conflict (offer_id) do update set status = excluded.status, co_staker_wallet = excluded.co_staker_wallet, updated_at = excluded.updated_at`,
      [o.offerId, deviceId, o.ownerWallet, ownerTenantId, o.requestedBaseUnits.toString(), o.coStakerShareBps, o.status, o.coStakerWallet, now],
    );
    if (o.coStakerWallet) {
      const tenant = o.offerId === claim?.offerId ? claim.tenantId : undefined;
      const held = o.status === 'active' || o.status === 'exiting' ? o.coStakeBaseUnits : 0n;
      const { rows } = await tx.query<{ co_staker_tenant_id: string | null }>(`select co_staker_tenant_id from co_stake_offers where offer_id = $1`, [o.offerId]);
      await upsertPosition(tx, stakeIdOf(deviceId, o.coStakerWallet), deviceId, o.coStakerWallet, 'co_staker', tenant ?? rows[0]?.co_staker_tenant_id ?? ownerTenantId, held, 0n, now);
    }
  }
}

async function upsertPosition(tx: SqlExecutor, stakeId: string, deviceId: string, wallet: string, role: 'owner' | 'co_staker', tenantId: string, staked: bigint, unbonding: bigint, now: Date): Promise<void> {
  await tx.query(
    `insert into stake_positions (stake_id, device_id, staker_wallet, role, tenant_id, staked_base_units, unbonding_base_units, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $8)
     on conflict (stake_id) do update set staked_base_units = excluded.staked_base_units, unbonding_base_units = excluded.unbonding_base_units, updated_at = excluded.updated_at`,
    [stakeId, deviceId, wallet, role, tenantId, staked.toString(), unbonding.toString(), now],
  );
}
