import { EVENTING_MIGRATIONS } from '@ionet/eventing';
import { VerificationTables1764579600000 } from './1764579600000-verification-tables';

/** In order; a committed migration is never edited, only followed by a new one. */
export const VERIFICATION_MIGRATIONS = [...EVENTING_MIGRATIONS, VerificationTables1764579600000];
