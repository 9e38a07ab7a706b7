/**
 * Backends by name, for the `backend` option of simulate and sweep and for the command line's
 * --backend flag:
 *
 *   cpu   the CPU kernel on a pool of worker threads (always available)
 *   gpu   the gpu.js kernels on a GPU through GL; fails with a one-line Error when gpu.js or a
 *         GL context is missing, rather than running gpu.js's slower WebAssembly fallback
 *   auto  gpu where a GL context on a hardware renderer exists, else cpu
 *
 * Both give the same answer for the same seed (to float32 rounding: see sim/GPU.md).
 */
import { CpuWorkerPool, type SimulationBackend } from './backend.js';
import { GpuBackend, type GlStatus, type GpuJsModule, glStatus, loadGpuJs } from './gpu-backend.js';

/** Names a backend can be chosen by. */
export type BackendName = 'cpu' | 'gpu' | 'auto';

export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'gpu', 'auto'];

/**
 * Checks a backend name, e.g. from the command line.
 *
 * @throws RangeError naming the backend option and the value
 */
export function checkBackendName(name: unknown): BackendName {
  if (!BACKEND_NAMES.includes(name as BackendName)) {
    const known = BACKEND_NAMES.join(', ');
    throw new RangeError(`backend must be one of ${known}, got ${JSON.stringify(name)}`);
  }
  return name as BackendName;
}

/**
 * Whether the GPU backend can run here: gpu.js loads and gives a GL context. When it cannot,
 * `missing` says what is missing and how to get it.
 *
 * @param loader - loads gpu.js (tests pass one that fails)
 */
export function gpuStatus(loader: () => GpuJsModule = loadGpuJs): GlStatus {
  let gpuJs: GpuJsModule;
  try {
    gpuJs = loader();
  } catch (error) {
    return { available: false, missing: (error as Error).message };
  }
  return glStatus(gpuJs);
}

/**
 * Creates the backend called `name`; the caller closes it.
 *
 * @param workers - worker threads of the CPU pool, or the GPU backend's drawing threads
 * @param loader - loads gpu.js (tests pass one that fails)
 * @throws RangeError for an unknown name; Error with one line naming the backend and what is
 *   missing (and how to get it) when 'gpu' cannot run here
 */
export async function createBackend(
  name: BackendName,
  workers?: number,
  loader: () => GpuJsModule = loadGpuJs,
): Promise<SimulationBackend> {
  checkBackendName(name);
  if (name === 'cpu') return new CpuWorkerPool(workers);

  const status = gpuStatus(loader);
  const useGpu = status.available && (name === 'gpu' || !status.software);
  if (name === 'gpu' && !useGpu) {
    throw new Error(`backend gpu cannot run here: ${status.missing}; use backend cpu or auto`);
  }
  if (!useGpu) return new CpuWorkerPool(workers);
  /* c8 ignore next 2: needs a GL context, which CI machines do not have */
  return GpuBackend.create({ drawWorkers: workers });
}
