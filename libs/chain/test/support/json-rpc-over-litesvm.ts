import type { ChainBackend } from '../../src';

/** Solana's JSON-RPC (the six methods the RPC adapter calls), answered from an embedded LiteSVM
 *  chain, as web3.js's `fetch`: the RPC adapter's requests and the parsing of the answers run for
 *  real; only the validator is LiteSVM. Block height moves one per `getBlockHeight`, and sends can
 *  be dropped or their answers lost, to drive expiry and crash paths. */
export class JsonRpcOverLiteSvm {
  blockHeight = 1_000n;
  /** Sends answered with their signature but never executed (a leader that dropped them). */
  dropSends = 0;
  /** Sends executed whose answer is lost (a 503 after the fact). */
  loseSendAnswers = 0;
  readonly calls: string[] = [];

  constructor(private readonly chain: ChainBackend) {}

  readonly fetch = async (_input: unknown, init?: { body?: unknown }): Promise<Response> => {
    const request = JSON.parse(String(init?.body)) as { id: string; method: string; params: unknown[] };
    this.calls.push(request.method);
    const answer = (result: unknown) => new Response(JSON.stringify({ jsonrpc: '2.0', id: request.id, result }), { headers: { 'content-type': 'application/json' } });
    const context = { slot: Number(this.blockHeight) };
    switch (request.method) {
      case 'getLatestBlockhash': {
        const { blockhash } = await this.chain.latestBlockhash();
        return answer({ context, value: { blockhash, lastValidBlockHeight: Number(this.blockHeight + 3n) } });
      }
      case 'getBlockHeight':
        this.blockHeight += 1n;
        return answer(Number(this.blockHeight));
      case 'sendTransaction': {
        const wire = Buffer.from(String(request.params[0]), 'base64');
        const signature = (await import('bs58')).default.encode(wire.subarray(1, 65));
        if (this.dropSends > 0) {
          this.dropSends -= 1;
          return answer(signature);
        }
        const outcome = await this.chain.send(wire, signature);
        if (this.loseSendAnswers > 0) {
          this.loseSendAnswers -= 1;
          return new Response('upstream went away', { status: 503 });
        }
        if (outcome.kind === 'failed') {
          return new Response(JSON.stringify({ jsonrpc: '2.0', id: request.id, error: { code: -32002, message: `Transaction simulation failed: ${outcome.error}`, data: { logs: outcome.logs } } }), {
            headers: { 'content-type': 'application/json' },
          });
        }
        return answer(signature);
      }
      case 'getSignatureStatuses': {
        const [signatures] = request.params as [string[]];
        const value = await Promise.all(
          signatures.map(async (signature) => {
            const status = await this.chain.status(signature);
            if (status.kind === 'unknown') return null;
            return { slot: context.slot, confirmations: null, err: status.kind === 'failed' ? { InstructionError: [0, { Custom: 1 }] } : null, confirmationStatus: 'finalized' };
          }),
        );
        return answer({ context, value });
      }
      case 'getAccountInfo': {
        const account = await this.chain.getAccount(String(request.params[0]));
        const value = account ? { data: [Buffer.from(account.data).toString('base64'), 'base64'], executable: false, lamports: 1_000_000, owner: account.owner, rentEpoch: 0, space: account.data.length } : null;
        return answer({ context, value });
      }
      default:
        return new Response(JSON.stringify({ jsonrpc: '2.0', id: request.id, error: { code: -32601, message: `method ${request.method} not served` } }), { headers: { 'content-type': 'application/json' } });
    }
  };
}
