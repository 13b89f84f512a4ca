import type { Pool, PoolClient } from 'pg';
import type { ConsumerRunner } from '../consumer/consumer-runner';
import type { DeadLetterService } from '../dead-letters/dead-letter.service';
import { ProjectionManager, type ProjectionDefinition, type RebuildProgress, type RebuildResult } from '../replay/projection-manager';
import { EventingError, errorMessage } from '../support/eventing-errors';
import { defaultLogger, type EventingLogger } from '../support/eventing-logger';
import { projectionDefinition, type ProjectionSpec } from './projection-spec';
import { ProjectionChanges, type ProjectionChangesOptions } from './projection-changes';

export const PROJECTION_ERROR_CODES = {
  notFound: 'PROJECTION.NOT_FOUND',
  rebuildInProgress: 'PROJECTION.REBUILD_IN_PROGRESS',
} as const;

export interface RebuildStatus {
  state: 'idle' | 'running' | 'succeeded' | 'failed';
  generation?: number;
  startedAt?: string;
  finishedAt?: string;
  progress?: unknown;
  result?: unknown;
  error?: string;
}

export interface ProjectionStatus {
  name: string;
  version: number;
  /** The version this build's code declares; above `version` until its rebuild swaps in. */
  declaredVersion: number;
  generation: number;
  stateHash: string;
  live: boolean;
  rebuild: RebuildStatus;
}

export interface ProjectionsServiceOptions {
  specs: ProjectionSpec[];
  topicPrefix?: string;
  manager: ProjectionManager;
  pool: Pool;
  /** Run the live consumers (the consumer role); every role installs the tables and serves ops. */
  runLive: boolean;
  deadLetters: DeadLetterService;
  logger?: EventingLogger;
  /** Progress is written to the status row at most this often. */
  progressWriteIntervalMs?: number;
  /** How watched projections' change epochs are followed (cached reads, ADR 0315). */
  changes?: ProjectionChangesOptions;
}

/** The lock's first key: every rebuild lock of this library; the second is schema + projection. */
const REBUILD_LOCK_CLASS = `hashtext('ionet.projection-rebuild')`;
const REBUILD_LOCK_KEY = `hashtext(current_schema() || ':' || $1)`;

/**
 * Runs a service's projections (EventingModule owns it): installs their tables, runs their live
 * consumers in the consumer role (registered for redrive), rebuilds one when its declared version
 * is newer than the installed one, and serves the ops rebuild. A rebuild holds a PostgreSQL
 * advisory lock for its whole run, so one runs per projection across replicas; its status is a row,
 * so every replica reports it (ADR 0211).
 */
export class ProjectionsService {
  private readonly definitions = new Map<string, ProjectionDefinition>();
  private readonly live = new Map<string, ConsumerRunner>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly logger: EventingLogger;
  private stopped = false;
  private readonly changes: ProjectionChanges;

  constructor(private readonly options: ProjectionsServiceOptions) {
    this.logger = options.logger ?? defaultLogger('Projections');
    this.changes = new ProjectionChanges(options.pool, this.logger, options.changes);
    for (const spec of options.specs) {
      if (this.definitions.has(spec.name)) throw new Error(`projection ${spec.name} is registered twice`);
      this.definitions.set(spec.name, projectionDefinition(spec, options.topicPrefix));
    }
  }

  get names(): string[] {
    return [...this.definitions.keys()];
  }

  liveRunners(): ConsumerRunner[] {
    return [...this.live.values()];
  }

  async start(): Promise<void> {
    for (const definition of this.definitions.values()) await this.options.manager.install(definition);
    if (!this.options.runLive) return;
    for (const definition of this.definitions.values()) {
      const installed = await this.options.manager.installedVersion(definition);
      if (installed >= (definition.version ?? 1)) {
        await this.startLive(definition);
        continue;
      }
      // Old rows under a new shape are never updated in place: the live consumer waits for the
      // rebuild of the new version (the old generation keeps serving reads meanwhile).
      this.logger.log(`projection ${definition.name}: installed version ${installed}, declared ${definition.version}; rebuilding`);
      try {
        await this.rebuild(definition.name, { afterSwap: () => this.startLive(definition) });
      } catch (err) {
        // Another replica rebuilds it; this one starts its live consumer once that swap shows.
        if (!(err instanceof EventingError && err.code === PROJECTION_ERROR_CODES.rebuildInProgress)) throw err;
        this.track(this.waitForVersion(definition).then(() => this.startLive(definition)));
      }
    }
  }

  /**
   * A projection's change epoch for a cache of its reads (ADR 0315): the getter answers a number
   * that moves whenever the projection may have changed (at once for this process's live batches
   * and swaps, within the poll interval for another replica's), or undefined while that is not
   * known fresh enough, when nothing may be served from the cache.
   */
  changeEpoch(name: string): () => number | undefined {
    const definition = this.definition(name);
    this.changes.watch(name, definition.groupId);
    return () => this.changes.epoch(name);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.changes.stop();
    for (const runner of this.live.values()) await runner.stop();
    this.live.clear();
  }

  async list(): Promise<ProjectionStatus[]> {
    return Promise.all(this.names.map((name) => this.status(name)));
  }

  async status(name: string): Promise<ProjectionStatus> {
    const definition = this.definition(name);
    const [installed, generation, stateHash, rebuild] = await Promise.all([
      this.options.manager.installedVersion(definition),
      this.options.manager.currentGeneration(definition),
      this.options.manager.stateHash(definition),
      this.rebuildStatus(name),
    ]);
    return { name, version: installed, declaredVersion: definition.version ?? 1, generation, stateHash, live: this.live.has(name), rebuild };
  }

  /** Starts a rebuild in the background and answers at once; another replica's (or this one's)
   *  running rebuild of the same projection makes it PROJECTION.REBUILD_IN_PROGRESS. */
  async rebuild(name: string, hooks: { afterSwap?: () => Promise<void> } = {}): Promise<RebuildStatus> {
    const definition = this.definition(name);
    const client = await this.options.pool.connect();
    let locked = false;
    try {
      const { rows } = await client.query<{ locked: boolean }>(`select pg_try_advisory_lock(${REBUILD_LOCK_CLASS}, ${REBUILD_LOCK_KEY}) as locked`, [name]);
      locked = rows[0]!.locked;
      if (!locked) throw new EventingError(PROJECTION_ERROR_CODES.rebuildInProgress, `a rebuild of ${name} is already running`);
      const installed = await this.options.manager.installedVersion(definition);
      const generation = (await this.options.manager.currentGeneration(definition)) + 1;
      await client.query(
        `insert into projection_rebuilds (name, state, generation, started_at) values ($1, 'running', $2, now())
         on conflict (name) do update set state = 'running', generation = $2, started_at = now(), finished_at = null, progress = null, result = null, error = null`,
        [name, generation],
      );
      const verifyAgainstLive = installed === (definition.version ?? 1);
      this.track(this.runRebuild(client, definition, verifyAgainstLive, hooks));
      return this.rebuildStatus(name);
    } catch (err) {
      if (locked) await client.query(`select pg_advisory_unlock(${REBUILD_LOCK_CLASS}, ${REBUILD_LOCK_KEY})`, [name]).catch(() => undefined);
      client.release();
      throw err;
    }
  }

  private async runRebuild(client: PoolClient, definition: ProjectionDefinition, verifyAgainstLive: boolean, hooks: { afterSwap?: () => Promise<void> }): Promise<void> {
    const name = definition.name;
    let lastWriteMs = 0;
    let pending: RebuildProgress | undefined;
    const writeProgress = async (progress: RebuildProgress) => {
      pending = progress;
      if (Date.now() - lastWriteMs < (this.options.progressWriteIntervalMs ?? 1_000)) return;
      lastWriteMs = Date.now();
      await this.options.pool.query(`update projection_rebuilds set progress = $2 where name = $1 and state = 'running'`, [name, toJson(pending)]).catch(() => undefined);
    };
    try {
      const result: RebuildResult = await this.options.manager.rebuild(definition, { verifyAgainstLive, onProgress: (p) => void writeProgress(p) });
      await client.query(`update projection_rebuilds set state = 'succeeded', finished_at = now(), progress = $2, result = $3 where name = $1`, [name, toJson(pending ?? null), toJson(result)]);
      this.changes.changed(name);
      this.logger.log(`projection ${name} rebuilt: generation ${result.generation}, ${result.eventsApplied} events`);
      if (hooks.afterSwap && !this.stopped) await hooks.afterSwap();
    } catch (err) {
      this.logger.error(`projection ${name} rebuild failed: ${errorMessage(err)}`);
      await client.query(`update projection_rebuilds set state = 'failed', finished_at = now(), error = $2 where name = $1`, [name, errorMessage(err)]).catch(() => undefined);
    } finally {
      await client.query(`select pg_advisory_unlock(${REBUILD_LOCK_CLASS}, ${REBUILD_LOCK_KEY})`, [name]).catch(() => undefined);
      client.release();
    }
  }

  private async rebuildStatus(name: string): Promise<RebuildStatus> {
    const { rows } = await this.options.pool.query<{ state: RebuildStatus['state']; generation: number | null; started_at: Date; finished_at: Date | null; progress: unknown; result: unknown; error: string | null }>(
      `select state, generation, started_at, finished_at, progress, result, error from projection_rebuilds where name = $1`,
      [name],
    );
    const row = rows[0];
    if (!row) return { state: 'idle' };
    const status: RebuildStatus = {
      state: row.state,
      ...(row.generation === null ? {} : { generation: row.generation }),
      startedAt: row.started_at.toISOString(),
      ...(row.finished_at ? { finishedAt: row.finished_at.toISOString() } : {}),
      ...(row.progress ? { progress: row.progress } : {}),
      ...(row.result ? { result: row.result } : {}),
      ...(row.error ? { error: row.error } : {}),
    };
    // 'running' with nobody holding the lock: the process that ran it died.
    if (status.state === 'running' && !(await this.lockHeld(name))) return { ...status, state: 'failed', error: 'abandoned: the process running it ended' };
    return status;
  }

  private async lockHeld(name: string): Promise<boolean> {
    const client = await this.options.pool.connect();
    try {
      const { rows } = await client.query<{ free: boolean }>(`select pg_try_advisory_lock(${REBUILD_LOCK_CLASS}, ${REBUILD_LOCK_KEY}) as free`, [name]);
      if (rows[0]!.free) await client.query(`select pg_advisory_unlock(${REBUILD_LOCK_CLASS}, ${REBUILD_LOCK_KEY})`, [name]);
      return !rows[0]!.free;
    } finally {
      client.release();
    }
  }

  private async startLive(definition: ProjectionDefinition): Promise<void> {
    if (this.stopped || this.live.has(definition.name)) return;
    // Each committed batch moves the projection's change epoch in this process at once.
    const runner = this.options.manager.liveRunner(definition, { onProgress: () => this.changes.changed(definition.name) });
    this.options.deadLetters.registerRedriver(runner);
    this.live.set(definition.name, runner);
    await runner.start();
  }

  /** Polls (bounded by the stop) until another replica's rebuild installed the declared version. */
  private async waitForVersion(definition: ProjectionDefinition): Promise<void> {
    while (!this.stopped && (await this.options.manager.installedVersion(definition)) < (definition.version ?? 1)) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }

  private definition(name: string): ProjectionDefinition {
    const definition = this.definitions.get(name);
    if (!definition) throw new EventingError(PROJECTION_ERROR_CODES.notFound, `No projection ${name}; this service has ${this.names.join(', ') || 'none'}.`);
    return definition;
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch((err: unknown) => this.logger.error(`projections: ${errorMessage(err)}`)).finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }
}

/** jsonb of values that hold bigints (offsets, lags). */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
