export const REDIS = Symbol('ionet.redis');
export const KAFKA = Symbol('ionet.kafka');
export const PG_POOL = Symbol('ionet.pg-pool');
