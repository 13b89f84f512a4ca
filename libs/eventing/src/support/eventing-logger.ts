import { Logger } from '@nestjs/common';

/** What the library logs through; Nest's Logger (and most loggers) fit it. */
export interface EventingLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function defaultLogger(name: string): EventingLogger {
  return new Logger(name);
}
