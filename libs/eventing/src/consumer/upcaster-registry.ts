import { CONTRACT_ERROR_CODES, ContractError } from '@ionet/contracts';

export interface RawEvent {
  eventType: string;
  schemaVersion: number;
  payload: Uint8Array;
}

/** Lifts one (event type, schema version) to the next shape. It may rename the type (a new
 *  versioned package) and must raise the schema version or change the type, so chains end. */
export interface Upcaster {
  eventType: string;
  fromSchemaVersion: number;
  upcast(event: RawEvent): RawEvent;
}

/** An upcast chain longer than this is a registry bug (a cycle), not a history. */
const UPCAST_STEPS_MAX = 32;

export class UpcasterRegistry {
  private readonly upcasters = new Map<string, Upcaster>();

  register(upcaster: Upcaster): this {
    const key = keyOf(upcaster.eventType, upcaster.fromSchemaVersion);
    if (this.upcasters.has(key)) throw new Error(`an upcaster for ${key} is already registered`);
    this.upcasters.set(key, upcaster);
    return this;
  }

  get size(): number {
    return this.upcasters.size;
  }

  /** Applies upcasters until none matches; the result is the current shape of the event. */
  upcast(event: RawEvent): RawEvent {
    let current = event;
    for (let step = 0; step < UPCAST_STEPS_MAX; step++) {
      const upcaster = this.upcasters.get(keyOf(current.eventType, current.schemaVersion));
      if (!upcaster) return current;
      const next = upcaster.upcast(current);
      if (next.eventType === current.eventType && next.schemaVersion <= current.schemaVersion) {
        throw new ContractError(CONTRACT_ERROR_CODES.unsupportedSchemaVersion, `upcaster for ${keyOf(current.eventType, current.schemaVersion)} did not advance the version`);
      }
      current = next;
    }
    throw new ContractError(CONTRACT_ERROR_CODES.unsupportedSchemaVersion, `upcasting ${keyOf(event.eventType, event.schemaVersion)} took more than ${UPCAST_STEPS_MAX} steps`);
  }
}

function keyOf(eventType: string, schemaVersion: number): string {
  return `${eventType}@${schemaVersion}`;
}
