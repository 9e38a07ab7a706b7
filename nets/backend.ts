/**
 * Chooses the tfjs backend the nets run on and says which one ran.
 *
 * Order for 'auto': @tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node (native libtensorflow,
 * loaded dynamically only when installed and loadable), else @tensorflow/tfjs-backend-wasm with
 * this package's conv gradient kernels registered (wasm-kernels.ts). The plain 'cpu' backend is
 * only for tests on tiny shapes: a depth-20 training step takes over a minute on it.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import { InputError } from './errors.js';
import { registerWasmConvGradients } from './wasm-kernels.js';

/** What --backend accepts. */
export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** The backend that runs, and a one-line description of it for logs and result files. */
export interface BackendInfo {
  name: string;
  description: string;
}

/** The native packages tried, fastest first. */
export const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** Loads a package by name; replaced in tests. */
export type Importer = (name: string) => Promise<unknown>;

const importPackage: Importer = (name) => import(name);

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0];
}

async function loadNative(importer: Importer): Promise<{ info?: BackendInfo; failures: string[] }> {
  const failures: string[] = [];
  for (const name of NATIVE_PACKAGES) {
    try {
      await importer(name);
      if (await tf.setBackend('tensorflow')) {
        return { info: { name: 'tensorflow', description: `tensorflow (${name})` }, failures };
      }
      failures.push(`${name}: loaded but the tensorflow backend did not start`);
    } catch (error) {
      failures.push(`${name}: ${firstLine(error)}`);
    }
  }
  return { failures };
}

/**
 * Sets the tfjs backend and returns which one runs.
 *
 * @param choice - 'auto' (fastest available), 'tensorflow', 'wasm' or 'cpu'
 * @param importer - how packages are loaded (tests pass a stub)
 * @throws InputError when the choice is unknown, or 'tensorflow' is asked for and no native
 *   package loads
 */
export async function initBackend(
  choice: string = 'auto',
  importer: Importer = importPackage,
): Promise<BackendInfo> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new InputError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got '${choice}'`);
  }
  if (choice === 'auto' || choice === 'tensorflow') {
    const { info, failures } = await loadNative(importer);
    if (info) return info;
    if (choice === 'tensorflow') {
      throw new InputError(
        `--backend tensorflow: no native package loads (${failures.join('; ')})`,
      );
    }
  }
  if (choice === 'cpu') {
    await tf.setBackend('cpu');
    return { name: 'cpu', description: 'cpu (tfjs-backend-cpu, plain JavaScript)' };
  }
  await tf.setBackend('wasm');
  registerWasmConvGradients();
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'SIMD' : 'no SIMD';
  return {
    name: 'wasm',
    description:
      `wasm (tfjs-backend-wasm ${tf.version.tfjs}, ${simd}, 1 thread, ` +
      'conv gradients from this package)',
  };
}
