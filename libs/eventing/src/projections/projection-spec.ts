import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { toDomain, topicName, type DomainOf, type EventContext, type EventMetadata } from '@ionet/contracts';
import type { ProjectionContext, ProjectionDefinition, ProjectionTable } from '../replay/projection-manager';

/** One event type a projection applies, in its domain shape (enums as names, money exact, times as
 *  Dates; a value the contract does not allow is a ContractError and dead-letters). */
export interface ProjectionHandler {
  schema: DescMessage;
  apply(event: unknown, metadata: EventMetadata, ctx: ProjectionBatchContext): Promise<void>;
}

/** What a handler gets: the batch's transaction and tables, and a map that is empty at the start of
 *  each batch, where handlers of a projection that writes in bulk collect rows for `afterBatch`. */
export interface ProjectionBatchContext extends ProjectionContext {
  batch: Map<string, unknown>;
}

export function on<Desc extends DescMessage>(schema: Desc, apply: (event: DomainOf<MessageShape<Desc>>, metadata: EventMetadata, ctx: ProjectionBatchContext) => Promise<void>): ProjectionHandler {
  return { schema, apply: apply as ProjectionHandler['apply'] };
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
  /** Runs once per batch, after its handlers, in the batch's transaction: a projection whose
   *  handlers collect rows in `ctx.batch` writes them here in a few bulk statements. */
  afterBatch?(ctx: ProjectionBatchContext): Promise<void>;
}

export function defineProjection(spec: ProjectionSpec): ProjectionSpec {
  const seen = new Set<string>();
  for (const handler of spec.handlers) {
    if (seen.has(handler.schema.typeName)) throw new Error(`projection ${spec.name} handles ${handler.schema.typeName} twice`);
    seen.add(handler.schema.typeName);
  }
  return spec;
}

/** The runnable definition of a spec in a topic namespace (empty in production). */
export function projectionDefinition(spec: ProjectionSpec, topicPrefix = ''): ProjectionDefinition {
  const handlers = new Map(spec.handlers.map((h) => [h.schema.typeName, h]));
  return {
    name: spec.name,
    version: spec.version,
    groupId: `${topicPrefix}${spec.consumerGroup}`,
    topics: spec.contexts.map((c) => topicName(c, topicPrefix)),
    tables: spec.tables,
    async apply(events, ctx) {
      const batchCtx: ProjectionBatchContext = { ...ctx, batch: new Map() };
      for (const consumed of events) {
        const handler = handlers.get(consumed.event.$typeName);
        if (!handler) continue;
        await handler.apply(toDomain(handler.schema, consumed.event), consumed.metadata, batchCtx);
      }
      if (spec.afterBatch) await spec.afterBatch(batchCtx);
    },
  };
}
