import { EVENTING_MIGRATIONS } from '@ionet/eventing';
import { WebhooksTables1765065600000 } from './1765065600000-webhooks-tables';

/** In order; a committed migration is never edited, only followed by a new one. */
export const WEBHOOKS_MIGRATIONS = [...EVENTING_MIGRATIONS, WebhooksTables1765065600000];
