import type { Message } from '@bufbuild/protobuf';
import { BaseRpcContext, Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import type { EventMetadata } from '@ionet/contracts';
import { ConsumerRunner, type BatchContext, type ConsumedEvent, type ConsumerRunnerOptions } from '../consumer/consumer-runner';
import { otelContext } from '../support/tracing';
import type { EventingTransaction } from '../support/sql-executor';

/** What an `@EventPattern('ionet.<context>.v1.<Event>')` handler receives. Write the state change
 *  through `tx`: it is the batch's transaction, which also stores the consumer offset. */
export interface EventMessage<T extends Message = Message> {
  event: T;
  metadata: EventMetadata;
  tx: EventingTransaction;
  topic: string;
  partition: number;
  offset: bigint;
  heartbeat(): Promise<void>;
}

export class KafkaBatchContext extends BaseRpcContext<[ConsumedEvent]> {
  getConsumedEvent(): ConsumedEvent {
    return this.args[0];
  }
}

export type KafkaBatchTransportOptions = Omit<ConsumerRunnerOptions, 'handleBatch'>;

/** Heartbeat after this many events of a batch, so a long batch keeps the group membership. */
const EVENTS_PER_HEARTBEAT = 100;

/** A Nest microservice transport over ConsumerRunner: batches, offsets in the service's database,
 *  dead letters for contract violations, pause-and-retry for faults. Events of types without a
 *  handler are skipped (their offsets still advance). Handlers of one event type run in order,
 *  inside the message's trace context. */
export class KafkaBatchTransport extends Server implements CustomTransportStrategy {
  private runner: ConsumerRunner | undefined;

  constructor(private readonly options: KafkaBatchTransportOptions) {
    super();
  }

  get consumerRunner(): ConsumerRunner {
    if (!this.runner) this.runner = new ConsumerRunner({ ...this.options, handleBatch: (events, ctx) => this.dispatch(events, ctx) });
    return this.runner;
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      await this.consumerRunner.start();
      callback();
    } catch (err) {
      callback(err);
    }
  }

  async close(): Promise<void> {
    await this.runner?.stop();
  }

  on(): void {
    // Status events are not emitted by this transport; health is read from the runner.
  }

  unwrap<T>(): T {
    return this.consumerRunner as T;
  }

  private async dispatch(events: ConsumedEvent[], ctx: BatchContext): Promise<void> {
    for (let i = 0; i < events.length; i++) {
      const consumed = events[i];
      const handler = this.getHandlerByPattern(consumed.metadata.eventType);
      if (handler) await otelContext.with(consumed.traceContext, () => this.invoke(handler, consumed, ctx));
      if (i % EVENTS_PER_HEARTBEAT === EVENTS_PER_HEARTBEAT - 1) await ctx.heartbeat();
    }
  }

  private async invoke(handler: MessageHandler, consumed: ConsumedEvent, ctx: BatchContext): Promise<void> {
    const message: EventMessage = {
      event: consumed.event,
      metadata: consumed.metadata,
      tx: ctx.tx,
      topic: consumed.topic,
      partition: consumed.partition,
      offset: consumed.offset,
      heartbeat: ctx.heartbeat,
    };
    const rpcContext = new KafkaBatchContext([consumed]);
    // Several classes may handle one pattern; Nest chains them through `next`.
    for (let current: MessageHandler['next'] | undefined = handler; current; current = (current as MessageHandler).next) {
      const result = await current(message, rpcContext);
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    }
  }
}
