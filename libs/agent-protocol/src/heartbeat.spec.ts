import { generateAgentKey } from './keys';
import { GENESIS_HASH, chainHeartbeat, continuesChain, heartbeatProblem, processDigest, type SignedHeartbeat } from './heartbeat';

describe('hash-chained heartbeats', () => {
  const key = generateAgentKey();
  const body = (at: string) => ({ deviceId: 'd-1', at, leaseId: null, gpus: [{ uuid: 'GPU-1', utilisationBasisPoints: 1234, memoryUsedMib: 512 }], processDigest: processDigest([]), foreignProcessCount: 0 });

  it('chains each heartbeat to the one before and signs it', () => {
    const first = chainHeartbeat(undefined, body('2026-12-01T00:00:00.000Z'), key);
    const second = chainHeartbeat(first, body('2026-12-01T00:00:30.000Z'), key);
    expect(first).toMatchObject({ sequence: 0, previousHash: GENESIS_HASH });
    expect(second).toMatchObject({ sequence: 1, previousHash: first.hash });
    expect(continuesChain(undefined, first)).toBe(true);
    expect(continuesChain(first, second)).toBe(true);
    expect(continuesChain(undefined, second)).toBe(false);
    expect(continuesChain(second, first)).toBe(false);
    expect(heartbeatProblem(first, key.address)).toBeUndefined();
    expect(heartbeatProblem(second, key.address)).toBeUndefined();
  });

  it('finds a changed field, a forged signature and a malformed heartbeat', () => {
    const hb = chainHeartbeat(undefined, body('2026-12-01T00:00:00.000Z'), key);
    expect(heartbeatProblem({ ...hb, foreignProcessCount: 1 }, key.address)).toBe('hash_mismatch');
    expect(heartbeatProblem({ ...hb, gpus: [{ ...hb.gpus[0], utilisationBasisPoints: 1 }] }, key.address)).toBe('hash_mismatch');
    expect(heartbeatProblem(hb, generateAgentKey().address)).toBe('bad_signature');
    const other = chainHeartbeat(undefined, body('2026-12-01T00:00:00.000Z'), generateAgentKey());
    expect(heartbeatProblem({ ...hb, signature: other.signature }, key.address)).toBe('bad_signature');
    expect(heartbeatProblem({ ...hb, at: 'yesterday' } as SignedHeartbeat, key.address)).toBe('malformed');
    expect(heartbeatProblem({ ...hb, gpus: [{ uuid: 'g', utilisationBasisPoints: 10_001, memoryUsedMib: 0 }] }, key.address)).toBe('malformed');
    expect(heartbeatProblem(null as unknown as SignedHeartbeat, key.address)).toBe('malformed');
  });

  it('digests the same processes to the same value whatever their order', () => {
    expect(processDigest(['process:2:b', 'container:x:ray'])).toBe(processDigest(['container:x:ray', 'process:2:b']));
    expect(processDigest(['process:2:b'])).not.toBe(processDigest(['process:3:b']));
  });
});
