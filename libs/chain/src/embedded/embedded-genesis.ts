import { createAssociatedTokenAccountIdempotentInstruction, createInitializeMint2Instruction, createMintToCheckedInstruction, getAssociatedTokenAddressSync, MINT_SIZE, TOKEN_PROGRAM_ID } from '@solana/spl-token';
import { SystemProgram, Transaction } from '@solana/web3.js';
import { CUSTODY, type ChainAsset } from '../chain-gateway';
import { ChainError } from '../chain.errors';
import { FEE_PAYER_KEY, memoInstruction, MINT_AUTHORITY_KEY } from '../gateway/solana-gateway';
import type { KeyStore } from '../gateway/key-store';
import type { LiteSvmChain } from './litesvm-chain';

/** Decimals of the development mints: IO as on Solana, USDC as Circle's. Created once; read back
 *  from the mint ever after. */
export const EMBEDDED_MINT_DECIMALS: Readonly<Record<ChainAsset, number>> = { IO: 8, USDC: 6 };

export function embeddedMintKey(asset: ChainAsset): string {
  return `mint-${asset.toLowerCase()}`;
}

/** Creates what a fresh embedded chain lacks: the fee payer's SOL, the IO and USDC mints (the
 *  gateway's key as mint authority) and IO's genesis supply in the genesis custody. Each step checks
 *  the chain first, so running it on every open does nothing once done. */
export async function ensureEmbeddedGenesis(chain: LiteSvmChain, keys: KeyStore, ioGenesisBaseUnits: bigint): Promise<void> {
  const payer = keys.keypair(FEE_PAYER_KEY);
  const authority = keys.keypair(MINT_AUTHORITY_KEY);
  chain.fundFeePayer(payer.publicKey.toBase58());
  for (const asset of ['IO', 'USDC'] as const) {
    const mint = keys.keypair(embeddedMintKey(asset));
    if (await chain.getAccount(mint.publicKey.toBase58())) continue;
    const { blockhash } = await chain.latestBlockhash();
    const tx = new Transaction({ feePayer: payer.publicKey, recentBlockhash: blockhash });
    tx.add(
      SystemProgram.createAccount({
        fromPubkey: payer.publicKey,
        newAccountPubkey: mint.publicKey,
        lamports: Number(chain.rentExemptLamports(MINT_SIZE)),
        space: MINT_SIZE,
        programId: TOKEN_PROGRAM_ID,
      }),
      createInitializeMint2Instruction(mint.publicKey, EMBEDDED_MINT_DECIMALS[asset], authority.publicKey, null),
    );
    const genesisMint = asset === 'IO' && ioGenesisBaseUnits > 0n;
    if (genesisMint) {
      const genesis = keys.keypair(`custody-${CUSTODY.genesis}`).publicKey;
      const account = getAssociatedTokenAddressSync(mint.publicKey, genesis, true);
      tx.add(
        createAssociatedTokenAccountIdempotentInstruction(payer.publicKey, account, genesis, mint.publicKey),
        createMintToCheckedInstruction(mint.publicKey, account, authority.publicKey, ioGenesisBaseUnits, EMBEDDED_MINT_DECIMALS.IO),
      );
    }
    tx.add(memoInstruction(`ionet:genesis:${asset}`));
    tx.sign(payer, mint, ...(genesisMint ? [authority] : []));
    const outcome = await chain.send(tx.serialize());
    if (outcome.kind !== 'confirmed') throw new ChainError('UNAVAILABLE', `the embedded chain could not create the ${asset} mint: ${JSON.stringify(outcome)}`);
  }
  chain.snapshot();
}
