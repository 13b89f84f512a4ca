import { deciderSpec } from '@ionet/testing';
import { decideEpochProof, evolveEpochProof, initialEpochProofState, type EpochProofCommand } from './epoch-proof.decider';

const spec = deciderSpec({ decide: decideEpochProof, evolve: evolveEpochProof, initialState: initialEpochProofState });
const command: EpochProofCommand = {
  type: 'CommitEpochRoot',
  epoch: 5,
  merkleRoot: 'ab'.repeat(32),
  leafCount: 3,
  algorithm: 'sha256-sorted-leaves-v1',
  epochStart: new Date('2026-12-01T10:00:00Z'),
  epochEnd: new Date('2026-12-01T11:00:00Z'),
  at: new Date('2026-12-01T11:01:00Z'),
};

describe('epoch proof root', () => {
  it('is committed once per epoch', () => {
    const { type: _t, ...rest } = command;
    const committed = { type: 'EpochProofRootCommitted' as const, ...rest };
    spec.given([]).when(command).then([committed]);
    spec.given([committed]).when({ ...command, merkleRoot: 'cd'.repeat(32) }).then([]);
  });
});
