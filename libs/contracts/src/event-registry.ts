import type { DescFile, DescMessage } from '@bufbuild/protobuf';
import { file_ionet_inventory_v1_events } from './gen/ionet/inventory/v1/events_pb';
import { file_ionet_verification_v1_events } from './gen/ionet/verification/v1/events_pb';
import { file_ionet_matching_v1_events } from './gen/ionet/matching/v1/events_pb';
import { file_ionet_leasing_v1_events } from './gen/ionet/leasing/v1/events_pb';
import { file_ionet_billing_v1_events } from './gen/ionet/billing/v1/events_pb';
import { file_ionet_tokenomics_v1_events } from './gen/ionet/tokenomics/v1/events_pb';
import { file_ionet_governance_v1_events } from './gen/ionet/governance/v1/events_pb';
import { file_ionet_webhooks_v1_events } from './gen/ionet/webhooks/v1/events_pb';
import { file_ionet_ledger_v1_events } from './gen/ionet/ledger/v1/events_pb';
import { CONTRACT_ERROR_CODES, ContractError } from './contract-error';
import { topicName, type EventContext } from './topics';

export interface EventTypeInfo {
  /** Fully-qualified message name, e.g. "ionet.inventory.v1.DeviceRegistered". */
  type: string;
  context: EventContext;
  schema: DescMessage;
  /** The schema version producers write today; older versions are upcast on read. */
  schemaVersion: number;
}

/** Every message of each context's events.proto is an event published on that context's topic
 *  (value types live in types.proto). */
export const EVENT_FILES: ReadonlyArray<{ context: EventContext; file: DescFile }> = [
  { context: 'inventory', file: file_ionet_inventory_v1_events },
  { context: 'verification', file: file_ionet_verification_v1_events },
  { context: 'matching', file: file_ionet_matching_v1_events },
  { context: 'leasing', file: file_ionet_leasing_v1_events },
  { context: 'billing', file: file_ionet_billing_v1_events },
  { context: 'tokenomics', file: file_ionet_tokenomics_v1_events },
  { context: 'governance', file: file_ionet_governance_v1_events },
  { context: 'webhooks', file: file_ionet_webhooks_v1_events },
  { context: 'ledger', file: file_ionet_ledger_v1_events },
];

/** Maps an event type to its context, topic and schema. */
export class EventRegistry {
  private readonly byType = new Map<string, EventTypeInfo>();

  static catalogue(): EventRegistry {
    const registry = new EventRegistry();
    for (const { context, file } of EVENT_FILES) {
      for (const schema of file.messages) registry.register(context, schema);
    }
    return registry;
  }

  register(context: EventContext, schema: DescMessage, schemaVersion = 1): this {
    const existing = this.byType.get(schema.typeName);
    if (existing && existing.schema !== schema) throw new Error(`event type ${schema.typeName} registered twice with different schemas`);
    this.byType.set(schema.typeName, { type: schema.typeName, context, schema, schemaVersion });
    return this;
  }

  get(type: string): EventTypeInfo | undefined {
    return this.byType.get(type);
  }

  require(type: string): EventTypeInfo {
    const info = this.byType.get(type);
    if (!info) throw new ContractError(CONTRACT_ERROR_CODES.unknownEventType, `unknown event type "${type}"`);
    return info;
  }

  topicOf(type: string, prefix = ''): string {
    return topicName(this.require(type).context, prefix);
  }

  types(): string[] {
    return [...this.byType.keys()].sort();
  }
}
