import { Agent } from '../agent';
import type { AgentOptions } from '../cli-args';
import { UsageError } from '../cli-args';
import { queryGpus } from '../hardware/nvidia-smi';
import { parseSimulatedGpus, simulatedGpus } from '../hardware/simulated-gpus';
import { ContainerRuntime, dockerAvailable } from '../jobs/container-runtime';
import type { JobRuntime } from '../jobs/job-runtime';
import { ProcessRuntime } from '../jobs/process-runtime';
import type { Logger } from '../log';
import type { StateDir } from '../state/state-dir';
import { normaliseApiUrl } from './join.command';

/** `ionet-agent run`: until SIGTERM or SIGINT. Jobs are left running on a stop (the next `run`
 *  re-attaches to them); the heartbeat journal keeps what was not delivered. */
export async function runCommand(state: StateDir, options: AgentOptions, log: Logger): Promise<number> {
  const key = state.loadKey();
  const enrollment = state.requireEnrollment();
  const simulateSpec = options.simulateGpus ?? enrollment.simulateGpus ?? undefined;
  if (options.simulateGpus !== undefined && enrollment.simulateGpus !== null && options.simulateGpus !== enrollment.simulateGpus) {
    throw new UsageError(`this device joined with --simulate-gpus ${enrollment.simulateGpus}; a different set is a different device (join again with a new directory)`);
  }
  if (options.simulateGpus !== undefined && enrollment.simulateGpus === null) {
    throw new UsageError('this device joined with its real GPUs; --simulate-gpus is for a device that joined with it');
  }
  const simulated = simulateSpec !== undefined;
  let gpus;
  if (simulated) {
    gpus = simulatedGpus(key.address, parseSimulatedGpus(simulateSpec));
  } else {
    const found = await queryGpus();
    if (found.note) log('GPU detection', { note: found.note });
    gpus = found.gpus.map((g) => ({ model: g.name, vramMib: g.memoryTotalMib, uuid: g.uuid }));
  }
  const runtime = await chooseRuntime(options.runtime, log);
  const release = state.acquireRunLock();
  const agent = new Agent({
    state,
    key,
    enrollment,
    apiUrl: options.api ? normaliseApiUrl(options.api) : enrollment.apiUrl,
    gpus,
    simulated,
    heartbeatIntervalMs: Math.round(options.heartbeatIntervalSeconds * 1000),
    workWaitMs: options.workWaitMs,
    runtime,
    hooks: { corruptProof: options.unsafeTestCorruptProof, proofDelayMs: options.unsafeTestProofDelayMs },
    log,
  });
  if (options.unsafeTestCorruptProof || options.unsafeTestProofDelayMs > 0) {
    log('UNSAFE TEST HOOKS ON: this agent fails proofs of work on purpose', { corruptProof: options.unsafeTestCorruptProof, proofDelayMs: options.unsafeTestProofDelayMs });
  }
  try {
    await agent.start();
  } catch (err) {
    release();
    throw err;
  }
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await agent.stop();
  release();
  return 0;
}

async function chooseRuntime(choice: AgentOptions['runtime'], log: Logger): Promise<JobRuntime> {
  if (choice === 'process') return new ProcessRuntime();
  if (choice === 'container') return new ContainerRuntime();
  if (await dockerAvailable()) {
    log('jobs run as containers (a Docker engine answers)');
    return new ContainerRuntime();
  }
  log('jobs run as local processes (no Docker engine answers `docker info`)');
  return new ProcessRuntime();
}
