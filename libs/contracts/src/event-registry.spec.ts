import { readdirSync } from 'node:fs';
import path from 'node:path';
import { EventRegistry, EVENT_FILES } from './event-registry';
import { allTopicSpecs, topicName } from './topics';

const REQUIRED_EVENTS = [
  'inventory.SupplierRegistered', 'inventory.DeviceRegistered', 'inventory.DeviceListed', 'inventory.DevicePriceSet', 'inventory.DeviceWentOffline',
  'verification.TimeLockHourVerified', 'verification.TimeLockViolated', 'verification.ChallengePassed', 'verification.ChallengeFailed',
  'verification.ReputationChanged', 'verification.EpochProofRootCommitted',
  'matching.ClusterRequested', 'matching.ClusterMatched', 'matching.ClusterMatchFailed', 'matching.ReplacementMatched',
  'leasing.LeaseCreated', 'leasing.LeaseActivated', 'leasing.JobDispatched', 'leasing.LeaseHourCompleted', 'leasing.LeaseExtended', 'leasing.LeaseTerminated',
  'billing.DepositReceived', 'billing.EscrowLocked', 'billing.UsageCharged', 'billing.RefundIssued', 'billing.InvoiceIssued', 'billing.PayoutSettled',
  'tokenomics.EpochClosed', 'tokenomics.EmissionMinted', 'tokenomics.RewardsAllocated', 'tokenomics.StakeDeposited', 'tokenomics.StakeSlashed',
  'tokenomics.BuybackExecuted', 'tokenomics.TokensBurned',
  'governance.ProposalCreated', 'governance.VoteCast', 'governance.ProposalExecuted', 'governance.ParameterChanged',
  'webhooks.WebhookEndpointCreated', 'webhooks.WebhookEndpointSecretRotated', 'webhooks.WebhookEndpointDeleted', 'webhooks.WebhookEndpointDisabled',
  'ledger.LeaseFunded', 'ledger.PayoutAccrued', 'ledger.BuybackRequested', 'ledger.EmissionMintRequested',
];

describe('EventRegistry.catalogue', () => {
  const registry = EventRegistry.catalogue();

  it('holds every event of the lifecycle, each routed to its context topic', () => {
    for (const name of REQUIRED_EVENTS) {
      const [context, event] = name.split('.');
      const type = `ionet.${context}.v1.${event}`;
      expect(registry.get(type)?.context).toBe(context);
      expect(registry.topicOf(type)).toBe(`ionet.${context}.v1`);
      expect(registry.topicOf(type, 'test.x.')).toBe(`test.x.ionet.${context}.v1`);
    }
  });

  it('names every event in the past tense and nothing else in events.proto', () => {
    for (const { file } of EVENT_FILES) {
      for (const message of file.messages) expect(message.name).toMatch(/(ed|Set|Cast|Withdrawn|Offline|Online|Ready)$/);
    }
    expect(registry.types().length).toBeGreaterThanOrEqual(REQUIRED_EVENTS.length);
  });

  it('refuses an unknown type with a stable code', () => {
    expect(() => registry.require('ionet.inventory.v1.Nope')).toThrow(expect.objectContaining({ code: 'CONTRACT.UNKNOWN_EVENT_TYPE' }));
  });

  it('has one topic per context plus the dead-letter topic, all kept forever', () => {
    const specs = allTopicSpecs();
    expect(specs.map((s) => s.name)).toEqual([
      'ionet.inventory.v1', 'ionet.verification.v1', 'ionet.matching.v1', 'ionet.leasing.v1', 'ionet.billing.v1',
      'ionet.tokenomics.v1', 'ionet.governance.v1', 'ionet.webhooks.v1', 'ionet.ledger.v1', 'ionet.dlq.v1',
    ]);
    for (const spec of specs) expect(spec.config).toEqual({ 'retention.ms': '-1', 'cleanup.policy': 'delete' });
    expect(allTopicSpecs({ replicationFactor: 3 })[0].config).toMatchObject({ 'min.insync.replicas': '2', 'unclean.leader.election.enable': 'false' });
    expect(topicName('dlq', 'p.')).toBe('p.ionet.dlq.v1');
  });

  it('exports every generated file through a package barrel', async () => {
    const genRoot = path.join(__dirname, 'gen', 'ionet');
    for (const context of readdirSync(genRoot)) {
      const barrel = (await import(`./packages/${context}-v1`)) as Record<string, unknown>;
      for (const file of readdirSync(path.join(genRoot, context, 'v1'))) {
        const generated = (await import(`./gen/ionet/${context}/v1/${file.replace(/\.ts$/, '')}`)) as Record<string, unknown>;
        for (const name of Object.keys(generated)) expect(barrel[name]).toBe(generated[name]);
      }
    }
  });
});
