import type { AggregateDefinition } from './decider';
import { CommandHandler, type CommandHandlerOptions } from './command-handler';

/** The registrations of one service: `handlers.for(deviceAggregate)` is the handler of that
 *  aggregate, made once. EventingModule provides it. */
export class CommandHandlers {
  private readonly handlers = new Map<AggregateDefinition<unknown, unknown, unknown>, CommandHandler<unknown, unknown, unknown>>();

  constructor(private readonly options: CommandHandlerOptions) {}

  for<Command, State, Event>(aggregate: AggregateDefinition<Command, State, Event>): CommandHandler<Command, State, Event> {
    const key = aggregate as AggregateDefinition<unknown, unknown, unknown>;
    let handler = this.handlers.get(key);
    if (!handler) {
      handler = new CommandHandler(key, this.options);
      this.handlers.set(key, handler);
    }
    return handler as CommandHandler<Command, State, Event>;
  }
}
