export * from './projection-spec';
export * from './projections.service';
export * from './projections.controller';
export * from './projection-changes';
