/**
 * `npm run bench:nets`: seconds per SGD step of the plain and residual nets at batch 128 on
 * each available tfjs backend and, when a Python with torch is installed (Debian's
 * python3-torch), of the same nets in PyTorch on the CPU in the same run, with the ratio.
 * It also times the wasm backend's shipped Conv2DBackpropInput against this package's one.
 *
 * Flags: --depth L (20), --shape cifar|fashion (32x32x3 or 28x28x1), --batch B (128),
 * --steps S (3 timed steps after one warm-up; the median is printed), --with-cpu (also time the
 * plain cpu backend, which takes over a minute per step). Timings go to stdout; they depend on
 * the load of the machine, so run it on a quiet one.
 */
import { spawnSync } from 'node:child_process';

import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';

import { initBackend, NATIVE_PACKAGES } from './backend.js';
import { InputError } from './errors.js';
import { buildNet, CONV_PADDING, type NetKind } from './net.js';
import { SgdTrainer, PAPER_SGD } from './train.js';
import { initWeights } from './weights.js';
import { makeConv2DBackpropInput } from './wasm-kernels.js';

/** The same nets, init and update in PyTorch; prints one JSON line of median step seconds. */
const TORCH_SCRIPT = `
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
depth, side, channels, batch, steps, threads = map(int, sys.argv[1:7])
if threads > 0:
    torch.set_num_threads(threads)
torch.manual_seed(1)
N = (depth - 2) // 3
class Net(nn.Module):
    def __init__(self, residual):
        super().__init__()
        self.residual = residual
        layers, c = [nn.Conv2d(channels, 16, 3, padding=1)], 16
        self.meta = []
        for g, width in enumerate([16, 32, 64]):
            for b in range(N):
                stride = 2 if g > 0 and b == 0 else 1
                layers.append(nn.Conv2d(c, width, 3, stride=stride, padding=1))
                self.meta.append((stride, c, width))
                c = width
        self.convs = nn.ModuleList(layers)
        self.dense = nn.Linear(64, 10)
        for m in list(self.convs) + [self.dense]:
            fan_in = m.weight[0].numel()
            std = 1 / fan_in if residual else (2 / fan_in) ** 0.5
            nn.init.normal_(m.weight, 0, std)
            nn.init.zeros_(m.bias)
    def forward(self, x):
        h = F.relu(self.convs[0](x))
        for conv, (stride, c, width) in zip(self.convs[1:], self.meta):
            y = conv(h)
            if self.residual:
                identity = h[:, :, ::stride, ::stride]
                if width > c:
                    identity = F.pad(identity, (0, 0, 0, 0, 0, width - c))
                y = y + identity
            h = F.relu(y)
        return self.dense(h.mean((2, 3)))
out = {'threads': torch.get_num_threads(), 'version': torch.__version__}
for kind in ['plain', 'residual']:
    net = Net(kind == 'residual')
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(batch, channels, side, side)
    y = torch.randint(0, 10, (batch,))
    times = []
    for i in range(steps + 1):
        start = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
        times.append(time.perf_counter() - start)
    times = sorted(times[1:])
    out[kind] = times[len(times) // 2]
print(json.dumps(out))
`;

interface BenchOptions {
  depth: number;
  shape: [number, number, number];
  batch: number;
  steps: number;
  withCpu: boolean;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median seconds of an SGD step of a tfjs net on the current backend. */
function timeTfjsStep(kind: NetKind, o: BenchOptions): number {
  const spec = buildNet({ kind, depth: o.depth, inputShape: o.shape, classes: 10 });
  const trainer = new SgdTrainer(spec, initWeights(spec, 1), PAPER_SGD);
  const x = tf.randomNormal([o.batch, ...o.shape]) as tf.Tensor4D;
  const y = tf.tensor1d(
    Array.from({ length: o.batch }, (_, i) => i % 10),
    'int32',
  );
  const times: number[] = [];
  for (let s = 0; s <= o.steps; s++) {
    const start = performance.now();
    trainer.step(x, y, PAPER_SGD.learningRate);
    times.push((performance.now() - start) / 1000);
  }
  tf.dispose([x, y]);
  trainer.dispose();
  return median(times.slice(1));
}

/** Milliseconds of the shipped and of this package's Conv2DBackpropInput on a 16-channel layer. */
function timeInputGradient(o: BenchOptions): { shipped: number; package: number } {
  const [height, width] = o.shape;
  const dy = tf.randomNormal([o.batch, height, width, 16]);
  const filter = tf.randomNormal([3, 3, 16, 16]);
  const backend = tf.backend();
  const attrs = {
    strides: [1, 1],
    pad: CONV_PADDING,
    dataFormat: 'NHWC',
    inputShape: [o.batch, height, width, 16],
  };
  const shipped = tf.getKernel('Conv2DBackpropInput', 'wasm');
  const time = (run: () => tf.TensorInfo): number => {
    const times: number[] = [];
    for (let s = 0; s <= o.steps; s++) {
      const start = performance.now();
      const out = run();
      tf.engine().makeTensorFromTensorInfo(out).dataSync();
      backend.disposeData(out.dataId);
      times.push(performance.now() - start);
    }
    return median(times.slice(1));
  };
  const ours = makeConv2DBackpropInput('wasm');
  const result = {
    shipped: time(
      () => shipped!.kernelFunc({ inputs: { dy, filter }, backend, attrs }) as tf.TensorInfo,
    ),
    package: time(() => ours({ inputs: { dy, filter }, backend, attrs }) as tf.TensorInfo),
  };
  tf.dispose([dy, filter]);
  return result;
}

/** The first Python found that imports torch, or undefined. */
function findTorchPython(): string | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status === 0) return python;
  }
  return undefined;
}

function runTorch(
  python: string,
  o: BenchOptions,
  threads: number,
): Record<string, number | string> {
  const args = [o.depth, o.shape[0], o.shape[2], o.batch, o.steps, threads].map(String);
  const result = spawnSync(python, ['-c', TORCH_SCRIPT, ...args], { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`PyTorch bench failed: ${result.stderr.trim().split('\n').pop()}`);
  return JSON.parse(result.stdout) as Record<string, number | string>;
}

async function bench(o: BenchOptions): Promise<void> {
  const label = `depth ${o.depth}, batch ${o.batch}, input ${o.shape.join('x')}`;
  console.log(`# seconds per SGD step (median of ${o.steps} after a warm-up), ${label}`);
  const tfjs: Record<string, number> = {};

  const native = await initBackend('auto');
  if (native.name === 'tensorflow') {
    for (const kind of ['plain', 'residual'] as const) tfjs[kind] = timeTfjsStep(kind, o);
    console.log(
      `${native.description}: plain ${tfjs.plain.toFixed(3)}  residual ${tfjs.residual.toFixed(3)}`,
    );
  } else {
    console.log(
      `tensorflow: not available (${NATIVE_PACKAGES.join(', ')} not installed or not loadable)`,
    );
  }

  const wasm = await initBackend('wasm');
  const wasmTimes = {
    plain: timeTfjsStep('plain', o),
    residual: timeTfjsStep('residual', o),
  };
  console.log(
    `${wasm.description}: plain ${wasmTimes.plain.toFixed(3)}  ` +
      `residual ${wasmTimes.residual.toFixed(3)}`,
  );
  if (native.name !== 'tensorflow') Object.assign(tfjs, wasmTimes);
  const kernel = timeInputGradient(o);
  console.log(
    `wasm Conv2DBackpropInput ${o.batch}x${o.shape[0]}x${o.shape[1]}x16: shipped ` +
      `${kernel.shipped.toFixed(1)} ms, this package ${kernel.package.toFixed(1)} ms; ` +
      'the shipped backend has no Conv2DBackpropFilter and cannot train',
  );

  if (o.withCpu) {
    const cpu = await initBackend('cpu');
    const plain = timeTfjsStep('plain', { ...o, steps: 1 });
    console.log(`${cpu.description}: plain ${plain.toFixed(3)} (one step)`);
  } else {
    console.log('cpu: not timed (over a minute per step; pass --with-cpu)');
  }

  const python = findTorchPython();
  if (python === undefined) {
    console.log(
      'pytorch: not available (no python3 that imports torch; apt-get install python3-torch)',
    );
    return;
  }
  const fastest = native.name === 'tensorflow' ? native.name : 'wasm';
  for (const threads of [1, 0]) {
    const torch = runTorch(python, o, threads);
    const who = `pytorch ${torch.version} cpu, ${torch.threads} thread(s)`;
    const ratios = (['plain', 'residual'] as const)
      .map((k) => `${k} ${(tfjs[k] / Number(torch[k])).toFixed(2)}x`)
      .join('  ');
    console.log(
      `${who}: plain ${Number(torch.plain).toFixed(3)}  ` +
        `residual ${Number(torch.residual).toFixed(3)}` +
        `  (tfjs ${fastest} / pytorch: ${ratios})`,
    );
    if (threads === 0 && Number(torch.threads) === 1) break;
  }
}

const program = new Command('bench:nets')
  .option('--depth <L>', 'depth 3N + 2', '20')
  .option('--shape <name>', 'cifar (32x32x3) or fashion (28x28x1)', 'cifar')
  .option('--batch <B>', 'mini-batch size', '128')
  .option('--steps <S>', 'timed steps after one warm-up', '3')
  .option('--with-cpu', 'also time the plain cpu backend')
  .parse(process.argv);
const flags = program.opts<{
  depth: string;
  shape: string;
  batch: string;
  steps: string;
  withCpu?: boolean;
}>();

try {
  const depth = Number(flags.depth);
  if (!Number.isInteger(depth) || depth < 5 || (depth - 2) % 3 !== 0) {
    throw new InputError(`--depth must be 3N + 2 (5, 8, ..., 20, 32, 44), got '${flags.depth}'`);
  }
  if (flags.shape !== 'cifar' && flags.shape !== 'fashion') {
    throw new InputError(`--shape must be cifar or fashion, got '${flags.shape}'`);
  }
  const batch = Number(flags.batch);
  const steps = Number(flags.steps);
  if (!Number.isInteger(batch) || batch < 1)
    throw new InputError(`--batch must be an integer >= 1, got '${flags.batch}'`);
  if (!Number.isInteger(steps) || steps < 1)
    throw new InputError(`--steps must be an integer >= 1, got '${flags.steps}'`);
  await bench({
    depth,
    shape: flags.shape === 'cifar' ? [32, 32, 3] : [28, 28, 1],
    batch,
    steps,
    withCpu: flags.withCpu === true,
  });
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = error instanceof InputError ? 2 : 1;
}
