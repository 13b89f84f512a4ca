import { deleteTestTopics, startTestService, type RunningTestService, type TestNamespace } from '@ionet/testing';
import { webhooksService } from '../../src/webhooks.module';
import type { WebhooksConfig } from '../../src/webhooks.config';
import type { Receiver } from './receiver';

/** The receiver, then the service (every role) in the namespace, delivering to private addresses
 *  (the receiver is on 127.0.0.1). */
export async function startWebhooks(ns: TestNamespace, receiver: Receiver, env: Record<string, string>): Promise<RunningTestService<WebhooksConfig>> {
  await receiver.start();
  return startTestService(webhooksService, {
    schema: ns.schema,
    serviceName: 'webhooks',
    topicPrefix: ns.topicPrefix,
    env: { QUEUE_PREFIX: ns.queuePrefix, WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', ...env },
  });
}

export async function stopWebhooks(ns: TestNamespace, receiver: Receiver, svc: RunningTestService<WebhooksConfig> | undefined): Promise<void> {
  await svc?.close();
  await receiver.stop();
  await deleteTestTopics(ns.topicPrefix);
}
