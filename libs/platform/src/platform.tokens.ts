export const REDIS = Symbol('ionet.redis');
export const KAFKA = Symbol('ionet.kafka');
