import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keypair } from '@solana/web3.js';
import { ChainError } from '../chain.errors';

const NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** The gateway's keys, one file each in solana-keygen's format (a JSON array of the 64 secret
 *  bytes), mode 0600 in a 0700 directory. A missing key is created only where `create` allows it
 *  (the embedded chain; on a cluster the mint authority and the fee payer must be provisioned). */
export class KeyStore {
  private readonly cache = new Map<string, Keypair>();

  constructor(
    private readonly dir: string,
    private readonly create: boolean,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  keypair(name: string): Keypair {
    if (!NAME.test(name)) throw new ChainError('INVALID_REQUEST', `not a key name: ${JSON.stringify(name)} (a-z, 0-9 and "-", at most 40)`);
    const cached = this.cache.get(name);
    if (cached) return cached;
    const path = join(this.dir, `${name}.json`);
    const keypair = this.read(path) ?? this.generate(path, name);
    this.cache.set(name, keypair);
    return keypair;
  }

  private read(path: string): Keypair | undefined {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ChainError('MISCONFIGURED', `key file ${path} cannot be read`, { cause: error });
    }
    try {
      const bytes: unknown = JSON.parse(text);
      if (!Array.isArray(bytes) || bytes.length !== 64) throw new Error('not 64 bytes');
      return Keypair.fromSecretKey(Uint8Array.from(bytes as number[]));
    } catch (cause) {
      throw new ChainError('MISCONFIGURED', `key file ${path} is not a Solana keypair (a JSON array of 64 bytes)`, { cause });
    }
  }

  private generate(path: string, name: string): Keypair {
    if (!this.create) throw new ChainError('MISCONFIGURED', `key ${name} is missing: provision ${path}`);
    const keypair = Keypair.generate();
    try {
      // `wx`: two processes creating the same key race; the loser reads the winner's.
      writeFileSync(path, JSON.stringify(Array.from(keypair.secretKey)), { flag: 'wx', mode: 0o600 });
      chmodSync(path, 0o600);
      return keypair;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const existing = this.read(path);
      if (!existing) throw new ChainError('MISCONFIGURED', `key file ${path} vanished`);
      return existing;
    }
  }
}
