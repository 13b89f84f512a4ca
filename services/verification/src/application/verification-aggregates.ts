import { defineAggregate } from '@ionet/eventing';
import { decideAgentJob, evolveAgentJob, initialAgentJobState } from '../domain/agent-job/agent-job.decider';
import { decideDeviceVerification, evolveDeviceVerification, initialDeviceVerificationState } from '../domain/device/device-verification.decider';
import { decideEpochProof, evolveEpochProof, initialEpochProofState } from '../domain/epoch/epoch-proof.decider';
import { decideLeaseHour, evolveLeaseHour, initialLeaseHourState } from '../domain/time-lock/lease-hour.decider';
import { agentJobEventCodec, deviceVerificationEventCodec, epochProofEventCodec, leaseHourEventCodec } from '../infrastructure/messaging/verification-event-codec';

/** Verification's registrations with the kit's command handler. */
export const deviceVerificationAggregate = defineAggregate({
  streamType: 'device_verification',
  decider: { decide: decideDeviceVerification, evolve: evolveDeviceVerification, initialState: initialDeviceVerificationState },
  codec: deviceVerificationEventCodec,
});

export const leaseHourAggregate = defineAggregate({
  streamType: 'lease_hour',
  decider: { decide: decideLeaseHour, evolve: evolveLeaseHour, initialState: initialLeaseHourState },
  codec: leaseHourEventCodec,
});

export const epochProofAggregate = defineAggregate({
  streamType: 'epoch_proof',
  decider: { decide: decideEpochProof, evolve: evolveEpochProof, initialState: initialEpochProofState },
  codec: epochProofEventCodec,
});

export const agentJobAggregate = defineAggregate({
  streamType: 'agent_job',
  decider: { decide: decideAgentJob, evolve: evolveAgentJob, initialState: initialAgentJobState },
  codec: agentJobEventCodec,
});
