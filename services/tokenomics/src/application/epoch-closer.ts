import { Inject, Injectable } from '@nestjs/common';
import { causedByEvent, CommandHandlers, derivedId, type SqlExecutor } from '@ionet/eventing';
import { CLOCK, CONFIG, PG_POOL, type Clock } from '@ionet/platform';
import { DEFAULT_TOKENOMICS_PARAMETERS, EMISSION_EPOCHS, epochAt, epochEndMs, epochStartMs, type TokenomicsParameters } from '@ionet/tokenomics';
import type { Pool } from 'pg';
import type { TokenomicsConfig } from '../tokenomics.config';
import { deviceEpochRecord, DEVICE_ROWS_SQL, epochReasons, type DeviceRow } from './epoch-records';
import { epochAggregate } from './tokenomics-aggregates';

/** Epochs one close job closes at most (a longer outage catches up over several jobs). */
export const EPOCHS_PER_CLOSE_MAX = 48;

/**
 * Closes hourly epochs in order (ADR 0610): each one once, from the first epoch of the deployment,
 * never skipping one. The device records an epoch is closed with are kept, so its allocation (when
 * the emission is minted) uses exactly what the close saw.
 */
@Injectable()
export class EpochCloser {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly handlers: CommandHandlers,
    @Inject(CONFIG) private readonly config: TokenomicsConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The parameters in force (governance's ParameterChanged is not followed yet: ADR 0610). */
  get parameters(): TokenomicsParameters {
    return DEFAULT_TOKENOMICS_PARAMETERS;
  }

  get epochOneStartMs(): number {
    return Date.parse(this.config.TOKENOMICS_EPOCH_ONE_START);
  }

  /** The deployment's first epoch: configured, or the one in progress at the first start; recorded
   *  once, so a restart never moves it. */
  async firstEpoch(db: SqlExecutor = this.pool): Promise<number> {
    const now = this.clock.now();
    const proposed = this.config.TOKENOMICS_FIRST_EPOCH ?? Math.min(EMISSION_EPOCHS, Math.max(1, epochAt(now.getTime(), this.epochOneStartMs)));
    await db.query(`insert into epoch_schedule (singleton, first_epoch, decided_at) values (true, $1, $2) on conflict (singleton) do nothing`, [proposed, now]);
    const { rows } = await db.query<{ first_epoch: string }>(`select first_epoch from epoch_schedule`);
    return Number(rows[0]!.first_epoch);
  }

  /** The last epoch whose end plus the grace has passed (0 or less: none yet). */
  lastDueEpoch(now: Date): number {
    return Math.min(EMISSION_EPOCHS, epochAt(now.getTime() - this.config.TOKENOMICS_EPOCH_CLOSE_GRACE_MS, this.epochOneStartMs) - 1);
  }

  async nextToClose(db: SqlExecutor = this.pool): Promise<number> {
    const first = await this.firstEpoch(db);
    const { rows } = await db.query<{ last: string | null }>(`select max(epoch) as last from epochs`);
    return rows[0]?.last ? Number(rows[0].last) + 1 : first;
  }

  /** The epochs due now that are not closed yet, oldest first (at most `max`). */
  async dueEpochs(max: number): Promise<number[]> {
    const next = await this.nextToClose();
    const last = Math.min(this.lastDueEpoch(this.clock.now()), next + max - 1);
    const due: number[] = [];
    for (let epoch = next; epoch <= last; epoch++) due.push(epoch);
    return due;
  }

  /** Closes every epoch up to `through` that is due and not closed, in order, inside `tx`. The
   *  schedule row is locked first: two jobs (replicas, a retry) close one after the other. */
  async closeThrough(tx: SqlExecutor, through: number): Promise<number[]> {
    const now = this.clock.now();
    await this.firstEpoch(tx);
    await tx.query(`select first_epoch from epoch_schedule for update`);
    const next = await this.nextToClose(tx);
    const last = Math.min(through, this.lastDueEpoch(now), next + EPOCHS_PER_CLOSE_MAX - 1);
    const closed: number[] = [];
    for (let epoch = next; epoch <= last; epoch++) {
      await this.close(tx, epoch, now);
      closed.push(epoch);
    }
    return closed;
  }

  private async close(tx: SqlExecutor, epoch: number, now: Date): Promise<void> {
    const start = new Date(epochStartMs(epoch, this.epochOneStartMs));
    const end = new Date(epochEndMs(epoch, this.epochOneStartMs));
    const { rows } = await tx.query<DeviceRow>(DEVICE_ROWS_SQL, [end]);
    const parameters = this.parameters;
    const snapshot = rows.map((row) => {
      const { record, extra } = deviceEpochRecord(row, start, end);
      return { record, reasons: epochReasons(record, extra, parameters) };
    });
    const streamId = epochStreamId(epoch);
    const cause = causedByEvent({ eventId: derivedId('epoch-close', String(epoch)), correlationId: streamId });
    const result = await this.handlers.for(epochAggregate).handle(
      streamId,
      { type: 'CloseEpoch', epoch, epochStart: start, epochEnd: end, devices: snapshot.map((s) => s.record), parameters, at: now },
      cause,
      { tx },
    );
    const closedEvent = result.events.find((e) => e.type === 'EpochClosed');
    if (!closedEvent || closedEvent.type !== 'EpochClosed') return;
    await tx.query(
      `insert into epochs (epoch, epoch_start, epoch_end, closed_at, eligible_gpu_device_hours, eligible_cpu_device_hours) values ($1, $2, $3, $4, $5, $6) on conflict (epoch) do nothing`,
      [epoch, start, end, closedEvent.at, closedEvent.eligibleGpuDeviceHours, closedEvent.eligibleCpuDeviceHours],
    );
    if (snapshot.length === 0) return;
    await tx.query(
      `insert into epoch_devices (epoch, device_id, supplier_id, pool, model, unit_count, device_hours, uptime_hours, staked_base_units, wallet, connectivity_tier, co_staker_wallet, co_staker_share_bps, reasons)
       select $1, r.device_id, r.supplier_id, r.pool, r.model, r.unit_count, r.device_hours, r.uptime_hours, r.staked::numeric, r.wallet, r.tier, r.co_wallet, r.co_share, r.reasons
         from jsonb_to_recordset($2::jsonb) as r(device_id text, supplier_id text, pool text, model text, unit_count int, device_hours int, uptime_hours double precision, staked text,
              wallet text, tier text, co_wallet text, co_share int, reasons jsonb)
       on conflict (epoch, device_id) do nothing`,
      [
        epoch,
        JSON.stringify(
          snapshot.map(({ record: d, reasons }) => ({
            device_id: d.deviceId,
            supplier_id: d.supplierId,
            pool: d.pool,
            model: d.model,
            unit_count: d.unitCount,
            device_hours: d.deviceHours,
            uptime_hours: d.uptimeHours,
            staked: d.stakedBaseUnits.toString(),
            wallet: d.walletAddress,
            tier: d.connectivityTier,
            co_wallet: d.coStaker?.wallet ?? null,
            co_share: d.coStaker?.shareBps ?? null,
            reasons,
          })),
        ),
      ],
    );
  }
}

export function epochStreamId(epoch: number): string {
  return derivedId('epoch', String(epoch));
}
