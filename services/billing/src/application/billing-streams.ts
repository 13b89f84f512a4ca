import { Injectable } from '@nestjs/common';
import { EventStore, type ExpectedVersion, type NewEvent, type StoredEvent } from '@ionet/eventing';
import { evolveApiKey, initialApiKeyState, type ApiKeyState } from '../domain/api-key/api-key.decider';
import { evolveOrganization, initialOrganizationState, type OrganizationState } from '../domain/organization/organization.decider';
import { apiKeyEventFromStored, organizationEventFromStored } from '../infrastructure/messaging/billing-event-codec';

export interface Loaded<S> {
  state: S;
  expectedVersion: ExpectedVersion;
}

/** Aggregates are their event streams: load = read + evolve; save = append at the loaded version. */
@Injectable()
export class BillingStreams {
  constructor(private readonly store: EventStore) {}

  loadOrganization(organizationId: string): Promise<Loaded<OrganizationState>> {
    return this.load(organizationId, organizationEventFromStored, evolveOrganization, initialOrganizationState);
  }

  loadApiKey(apiKeyId: string): Promise<Loaded<ApiKeyState>> {
    return this.load(apiKeyId, apiKeyEventFromStored, evolveApiKey, initialApiKeyState);
  }

  async append(streamType: 'organization' | 'api_key', streamId: string, expectedVersion: ExpectedVersion, events: NewEvent[], correlationId: string): Promise<void> {
    if (events.length === 0) return;
    await this.store.append(undefined, { streamId, streamType, expectedVersion, events, correlationId, causationId: correlationId });
  }

  private async load<S, E>(streamId: string, decode: (stored: StoredEvent) => E, evolve: (state: S, event: E) => S, initial: S): Promise<Loaded<S>> {
    const events = await this.store.readStream(streamId);
    return {
      state: events.map(decode).reduce(evolve, initial),
      expectedVersion: events.length ? events[events.length - 1]!.metadata.aggregateVersion : 'no_stream',
    };
  }
}
