import type { ConsumedEvent, EventingTransaction } from '../../src';

export const TEST_PROJECTION_DDL = [
  // No unique key on purpose: an event applied twice shows up as two rows.
  `create table if not exists applied_events (event_id uuid not null, device_id text not null, version bigint not null, kafka_offset bigint not null)`,
  `create table if not exists device_state (device_id text primary key, version bigint not null, events_applied bigint not null)`,
];

/** Applies DeviceListed events: records each application and keeps the latest version per
 *  device (a version guard, so any order within a batch yields the same state). */
export async function applyToTestProjection(events: ConsumedEvent[], tx: EventingTransaction): Promise<void> {
  if (events.length === 0) return;
  await tx.query(
    `insert into applied_events (event_id, device_id, version, kafka_offset) select * from unnest($1::uuid[], $2::text[], $3::bigint[], $4::bigint[])`,
    [events.map((e) => e.metadata.eventId), events.map((e) => e.metadata.aggregateId), events.map((e) => e.metadata.aggregateVersion.toString()), events.map((e) => e.offset.toString())],
  );
  for (const e of events) {
    await tx.query(
      `insert into device_state (device_id, version, events_applied) values ($1, $2, 1)
       on conflict (device_id) do update set version = greatest(device_state.version, excluded.version), events_applied = device_state.events_applied + 1`,
      [e.metadata.aggregateId, e.metadata.aggregateVersion.toString()],
    );
  }
}

export async function appliedCounts(tx: EventingTransaction): Promise<{ rows: number; distinct: number }> {
  const { rows } = await tx.query<{ rows: string; distinct: string }>(`select count(*) as rows, count(distinct event_id) as distinct from applied_events`);
  return { rows: Number(rows[0].rows), distinct: Number(rows[0].distinct) };
}
