import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { toDomain, topicName, type DomainOf, type EventContext, type EventMetadata } from '@ionet/contracts';
import type { ProjectionContext, ProjectionDefinition, ProjectionTable } from '../replay/projection-manager';

/** One event type a projection applies, in its domain shape (enums as names, money exact, times as
 *  Dates; a value the contract does not allow is a ContractError and dead-letters). */
export interface ProjectionHandler {
  schema: DescMessage;
  apply(event: unknown, metadata: EventMetadata, ctx: ProjectionContext): Promise<void>;
}

export function on<Desc extends DescMessage>(schema: Desc, apply: (event: DomainOf<MessageShape<Desc>>, metadata: EventMetadata, ctx: ProjectionContext) => Promise<void>): ProjectionHandler {
  return { schema, apply: apply as ProjectionHandler['apply'] };
}

/** Event types a projection applies a whole batch at a time: after the batch's per-event handlers
 *  ran, in the batch's transaction, with the batch's events of these types in their order. For
 *  work that one statement per batch does better than one per event (ADR 0340); the same rules
 *  hold: idempotent per event, any order across aggregates. */
export interface ProjectionBatchHandler {
  schemas: DescMessage[];
  applyAll(events: Array<{ event: unknown; metadata: EventMetadata; schema: DescMessage }>, ctx: ProjectionContext): Promise<void>;
}

export function onBatch(schemas: DescMessage[], applyAll: ProjectionBatchHandler['applyAll']): ProjectionBatchHandler {
  return { schemas, applyAll };
}

/** A read model as a service declares it; EventingModule runs it (live in the consumer role,
 *  rebuilt on ops request or when `version` changes). */
export interface ProjectionSpec {
  /** Logical name, also the ops API's: /v1/ops/projections/:name. */
  name: string;
  /** Raise it when the tables or the handlers change: the module rebuilds the projection at start
   *  (blue/green) instead of keeping old rows under a new shape. */
  version: number;
  /** Kafka consumer group, without the test prefix (e.g. 'inventory.catalog'). */
  consumerGroup: string;
  contexts: EventContext[];
  tables: ProjectionTable[];
  /** Every event type it applies; any other event on its topics is skipped. Each handler must be
   *  idempotent per event and tolerate events of different aggregates in any order. */
  handlers: ProjectionHandler[];
  /** Types applied a batch at a time (none by default). */
  batchHandlers?: ProjectionBatchHandler[];
  /** A projection that also appends events (a process manager deciding from what it projects,
   *  as the ledger's) says so: its batches then hold the relay's horizon like any appending
   *  transaction. It must make each append idempotent itself (ids derived from the cause, checked
   *  first), or a rebuild would append again. Default false (ADR 0221). */
  appendsEvents?: boolean;
  /** Writes what a rebuild's batches folded in memory, before the swap (ADR 0331); see
   *  ProjectionDefinition.completeRebuild. */
  completeRebuild?: ProjectionDefinition['completeRebuild'];
}

export function defineProjection(spec: ProjectionSpec): ProjectionSpec {
  const seen = new Set<string>();
  const typeNames = [...spec.handlers.map((h) => h.schema.typeName), ...(spec.batchHandlers ?? []).flatMap((h) => h.schemas.map((schema) => schema.typeName))];
  for (const typeName of typeNames) {
    if (seen.has(typeName)) throw new Error(`projection ${spec.name} handles ${typeName} twice`);
    seen.add(typeName);
  }
  return spec;
}

/** The runnable definition of a spec in a topic namespace (empty in production). */
export function projectionDefinition(spec: ProjectionSpec, topicPrefix = ''): ProjectionDefinition {
  const handlers = new Map(spec.handlers.map((h) => [h.schema.typeName, h]));
  const batchHandlers = new Map((spec.batchHandlers ?? []).flatMap((h) => h.schemas.map((schema) => [schema.typeName, { handler: h, schema }] as const)));
  return {
    name: spec.name,
    version: spec.version,
    groupId: `${topicPrefix}${spec.consumerGroup}`,
    topics: spec.contexts.map((c) => topicName(c, topicPrefix)),
    tables: spec.tables,
    appendsEvents: spec.appendsEvents ?? false,
    completeRebuild: spec.completeRebuild,
    async apply(events, ctx) {
      const batched = new Map<ProjectionBatchHandler, Array<{ event: unknown; metadata: EventMetadata; schema: DescMessage }>>();
      for (const consumed of events) {
        const handler = handlers.get(consumed.event.$typeName);
        if (handler) {
          await handler.apply(toDomain(handler.schema, consumed.event), consumed.metadata, ctx);
          continue;
        }
        const batch = batchHandlers.get(consumed.event.$typeName);
        if (!batch) continue;
        const list = batched.get(batch.handler) ?? [];
        list.push({ event: toDomain(batch.schema, consumed.event), metadata: consumed.metadata, schema: batch.schema });
        batched.set(batch.handler, list);
      }
      for (const [handler, list] of batched) await handler.applyAll(list, ctx);
    },
  };
}
