export type EpochProofEvent = {
  type: 'EpochProofRootCommitted';
  epoch: number;
  merkleRoot: string;
  leafCount: number;
  algorithm: string;
  epochStart: Date;
  epochEnd: Date;
  at: Date;
};

export type EpochProofCommand = { type: 'CommitEpochRoot'; epoch: number; merkleRoot: string; leafCount: number; algorithm: string; epochStart: Date; epochEnd: Date; at: Date };

export type EpochProofState = { committed: false } | { committed: true; merkleRoot: string };
export const initialEpochProofState: EpochProofState = { committed: false };

/** An epoch's root is committed once; a second commit (a retried job, another replica) appends nothing. */
export function decideEpochProof(command: EpochProofCommand, state: EpochProofState): EpochProofEvent[] {
  if (state.committed) return [];
  const { type: _type, ...rest } = command;
  return [{ type: 'EpochProofRootCommitted', ...rest }];
}

export function evolveEpochProof(_state: EpochProofState, event: EpochProofEvent): EpochProofState {
  return { committed: true, merkleRoot: event.merkleRoot };
}
