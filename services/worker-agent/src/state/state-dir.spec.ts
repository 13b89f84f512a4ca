import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { StateDir } from './state-dir';

describe('the agent\'s state directory', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ionet-state-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates a key readable by its owner only, never overwrites it, and refuses one others can read', () => {
    const state = new StateDir(join(root, 'a'));
    const key = state.createKey();
    expect(statSync(state.keyPath).mode & 0o777).toBe(0o600);
    expect(state.loadKey().address).toBe(key.address);
    expect(() => state.createKey()).toThrow('keeps its key');
    chmodSync(state.keyPath, 0o644);
    expect(() => state.loadKey()).toThrow('readable by others');
  });

  it('says what to run when there is no key or no enrollment', () => {
    const state = new StateDir(join(root, 'b'));
    expect(() => state.loadKey()).toThrow(`ionet-agent keygen --dir ${join(root, 'b')}`);
    expect(() => state.requireEnrollment()).toThrow('has not joined yet');
  });

  it('lets one run hold a directory, and takes over the lock of a run that died', () => {
    const state = new StateDir(join(root, 'c'));
    const release = state.acquireRunLock();
    // Another live process holding it: refused.
    writeFileSync(state.lockPath, JSON.stringify({ pid: process.ppid }));
    expect(() => state.acquireRunLock()).toThrow(`another ionet-agent (pid ${process.ppid})`);
    // A pid that no longer runs (a killed agent): taken over.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(state.lockPath, JSON.stringify({ pid: Number(dead) }));
    const again = state.acquireRunLock();
    again();
    release();
  });
});
