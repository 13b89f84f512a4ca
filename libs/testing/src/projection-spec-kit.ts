import { deepStrictEqual } from 'node:assert/strict';
import { create, type DescMessage, type Message, type MessageInitShape } from '@bufbuild/protobuf';
import type { EventMetadata } from '@ionet/contracts';
import { ProjectionManager, projectionDefinition, tableStateHash, type ConsumedEvent, type EventingTransaction, type ProjectionSpec } from '@ionet/eventing';
import { Pool } from 'pg';
import { testConnections, testNamespace } from './connections';
import { createTestSchema, dropTestSchema } from './postgres';

/** One fact for a projection spec: its message and the stream it belongs to. */
export interface SpecEvent {
  schema: DescMessage;
  data: MessageInitShape<DescMessage>;
  aggregateId: string;
  /** 1, 2, ... within its aggregate, in the order given. */
  aggregateVersion?: bigint;
}

export function specEvent<Desc extends DescMessage>(schema: Desc, aggregateId: string, data: MessageInitShape<Desc>): SpecEvent {
  return { schema, aggregateId, data: data as MessageInitShape<DescMessage> };
}

export interface ProjectionSpecRun {
  /** Rows of a logical table, ordered by its primary key. */
  rows(table: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * Proves a projection against real PostgreSQL (STYLE.md rule 6): the events applied once in order,
 * and again delivered twice and out of batch order, must leave the same rows. The second delivery
 * interleaves the aggregates otherwise (each aggregate's own order kept, as Kafka keeps it per key)
 * in batches of other sizes, then replays the whole stream newest first: a stale duplicate must
 * change nothing (a projection without version guards fails here).
 */
export async function projectionSpec(spec: ProjectionSpec, events: SpecEvent[]): Promise<ProjectionSpecRun> {
  const ns = testNamespace(`proj_${spec.name}`);
  await createTestSchema(ns.schema);
  const pool = new Pool({ connectionString: testConnections().postgresUrl, options: `-c search_path=${ns.schema}`, max: 2 });
  const definition = projectionDefinition(spec);
  const consumed = toConsumed(events);

  const apply = async (generation: number, batches: ConsumedEvent[][]) => {
    for (const batch of batches) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await definition.apply(batch, {
          tx: client as unknown as EventingTransaction,
          scope: `spec:g${generation}`,
          topic: 'spec',
          partition: 0,
          heartbeat: async () => undefined,
          generation,
          table: (name) => ProjectionManager.physicalTable(name, generation),
        });
        await client.query('commit');
      } catch (err) {
        await client.query('rollback');
        throw err;
      } finally {
        client.release();
      }
    }
  };
  const hash = async (generation: number) => {
    const hashes: string[] = [];
    for (const table of spec.tables) hashes.push(`${table.name}:${(await tableStateHash(pool, ProjectionManager.physicalTable(table.name, generation), table.primaryKey)).hash}`);
    return hashes;
  };

  try {
    for (const generation of [1, 2]) {
      for (const table of spec.tables) {
        await pool.query(`create table ${ProjectionManager.physicalTable(table.name, generation)} (${table.columnsSql}, primary key (${table.primaryKey.join(', ')}))`);
      }
    }
    await apply(1, [consumed]);
    const disordered = interleaveOtherwise(consumed);
    await apply(2, [...batchesOf(disordered, [1, 3, 2]), ...batchesOf([...consumed].reverse(), [4])]);
    deepStrictEqual(await hash(2), await hash(1), `projection ${spec.name}: delivering every event twice and out of batch order left other rows than one delivery in order`);
    for (const table of spec.tables) await pool.query(`create view ${table.name} as select * from ${ProjectionManager.physicalTable(table.name, 1)}`);
  } catch (err) {
    await pool.end();
    await dropTestSchema(ns.schema);
    throw err;
  }
  return {
    async rows(table) {
      const definitionTable = spec.tables.find((t) => t.name === table);
      if (!definitionTable) throw new Error(`projection ${spec.name} has no table ${table}`);
      const { rows } = await pool.query<Record<string, unknown>>(`select * from ${table} order by ${definitionTable.primaryKey.join(', ')}`);
      return rows;
    },
    async close() {
      await pool.end();
      await dropTestSchema(ns.schema);
    },
  };
}

function toConsumed(events: SpecEvent[]): ConsumedEvent[] {
  const versions = new Map<string, bigint>();
  return events.map((e, i) => {
    const version = e.aggregateVersion ?? (versions.get(e.aggregateId) ?? 0n) + 1n;
    versions.set(e.aggregateId, version);
    const metadata: EventMetadata = {
      eventId: `00000000-0000-7000-8000-${String(i + 1).padStart(12, '0')}`,
      eventType: e.schema.typeName,
      schemaVersion: 1,
      aggregateType: 'spec',
      aggregateId: e.aggregateId,
      aggregateVersion: version,
      occurredAt: new Date(0),
      correlationId: '',
      causationId: '',
      producer: 'spec',
      traceparent: '',
      tracestate: '',
      globalPosition: BigInt(i + 1),
    };
    return { event: create(e.schema, e.data) as Message, metadata, offset: BigInt(i), topic: 'spec', partition: 0, key: null, headers: {} } as unknown as ConsumedEvent;
  });
}

/** The same events with each aggregate's order kept but the aggregates taken in reverse order of
 *  first appearance, round-robin: another interleaving than the original. */
function interleaveOtherwise(events: ConsumedEvent[]): ConsumedEvent[] {
  const byAggregate = new Map<string, ConsumedEvent[]>();
  for (const e of events) {
    const list = byAggregate.get(e.metadata.aggregateId) ?? [];
    list.push(e);
    byAggregate.set(e.metadata.aggregateId, list);
  }
  const queues = [...byAggregate.values()].reverse();
  const out: ConsumedEvent[] = [];
  while (queues.some((q) => q.length)) for (const q of queues) if (q.length) out.push(q.shift()!);
  return out;
}

/** Cuts events into batches whose sizes cycle through `sizes`. */
function batchesOf(events: ConsumedEvent[], sizes: number[]): ConsumedEvent[][] {
  const batches: ConsumedEvent[][] = [];
  for (let i = 0, s = 0; i < events.length; s++) {
    const size = sizes[s % sizes.length]!;
    batches.push(events.slice(i, i + size));
    i += size;
  }
  return batches;
}
