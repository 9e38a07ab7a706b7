/**
 * `npm run bench:nets`: seconds per SGD step of the plain and residual nets at batch 128 on
 * each available tfjs backend and, when a Python with torch is installed (Debian's
 * python3-torch), of the same nets in PyTorch on the CPU in the same run, with the ratio.
 * It also times the wasm backend's shipped Conv2DBackpropInput against this package's one and,
 * with PyTorch, replays 20 SGD steps of both nets from the same weights and mini-batches in
 * PyTorch and prints the differences of the mini-batch losses: an independent check of the
 * forward pass, the gradients and the update (float32 rounding, about 1e-7, at the first step;
 * later the plain net amplifies rounding differences step by step, the residual net does not).
 *
 * Flags: --depth L (20), --shape cifar|fashion (32x32x3 or 28x28x1), --batch B (128),
 * --steps S (3 timed steps after one warm-up; the median is printed), --with-cpu (also time the
 * plain cpu backend, which takes over a minute per step), --no-torch (skip PyTorch). Timings go
 * to stdout; they depend on the load of the machine, so run it on a quiet one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';

import { initBackend, NATIVE_PACKAGES } from './backend.js';
import { InputError } from './errors.js';
import { buildNet, CONV_PADDING, type NetKind } from './net.js';
import { SgdTrainer, PAPER_SGD } from './train.js';
import { createRng } from './random.js';
import { initWeights } from './weights.js';
import { makeConv2DBackpropInput, shippedWasmKernel } from './wasm-kernels.js';

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

/**
 * Replays SGD steps in PyTorch from the weights and mini-batches the tfjs trainer used, and
 * prints the PyTorch mini-batch losses as JSON: an independent check of the whole training step.
 */
const TORCH_REPLAY_SCRIPT = `
import json, sys, numpy as np, torch, torch.nn.functional as F
torch.set_num_threads(1)
folder = sys.argv[1]
meta = json.load(open(folder + '/meta.json'))
out = {}
for kind in ['plain', 'residual']:
    run = meta[kind]
    w = np.fromfile(folder + '/' + kind + '.bin', np.float32)
    params, at = [], 0
    for shape, bias in run['shapes']:
        n = int(np.prod(shape))
        k = torch.tensor(w[at:at + n].reshape(shape)); at += n
        b = torch.tensor(w[at:at + bias]); at += bias
        k = k.permute(3, 2, 0, 1) if len(shape) == 4 else k.t()
        params += [k.contiguous().requires_grad_(), b.requires_grad_()]
    x = np.fromfile(folder + '/x.bin', np.float32)
    x = x.reshape([meta['steps'], meta['batch']] + meta['shape'])
    y = np.fromfile(folder + '/y.bin', np.int32).reshape(meta['steps'], meta['batch'])
    def net(images):
        h = F.relu(F.conv2d(images, params[0], params[1], padding=1))
        for i, (stride, c, width) in enumerate(meta['blocks']):
            z = F.conv2d(h, params[2 + 2 * i], params[3 + 2 * i], stride=stride, padding=1)
            if kind == 'residual':
                identity = h[:, :, ::stride, ::stride]
                if width > c:
                    identity = F.pad(identity, (0, 0, 0, 0, 0, width - c))
                z = z + identity
            h = F.relu(z)
        return F.linear(h.mean((2, 3)), params[-2], params[-1])
    opt = torch.optim.SGD(params, lr=meta['lr'], momentum=0.9, weight_decay=1e-4)
    losses = []
    for s in range(meta['steps']):
        opt.zero_grad()
        logits = net(torch.tensor(x[s]).permute(0, 3, 1, 2))
        loss = F.cross_entropy(logits, torch.tensor(y[s]).long())
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out[kind] = losses
print(json.dumps(out))
`;

/** Steps, batch size and learning rate of the replay check against PyTorch. */
const REPLAY = { steps: 20, batch: 32, learningRate: 0.01 };

interface BenchOptions {
  depth: number;
  shape: [number, number, number];
  batch: number;
  steps: number;
  withCpu: boolean;
  torch: boolean;
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
  // initBackend('wasm') has registered the package's kernels, which keeps the shipped one.
  const shipped = shippedWasmKernel('Conv2DBackpropInput');
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
    shipped: time(() => shipped!({ inputs: { dy, filter }, backend, attrs }) as tf.TensorInfo),
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

/**
 * Trains both nets for a few steps on random images with the package's trainer, replays the same
 * steps in PyTorch from the same weights and batches, and returns, per kind of net, the loss
 * difference at the first step and the largest one over all steps.
 */
function replayInTorch(
  python: string,
  o: BenchOptions,
): Record<'plain' | 'residual', { first: number; largest: number }> {
  const folder = mkdtempSync(join(tmpdir(), 'rns-replay-'));
  const rng = createRng(11);
  const { steps, batch, learningRate } = REPLAY;
  const size = o.shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: steps * batch * size }, () => rng.normal());
  const y = Int32Array.from({ length: steps * batch }, () => rng.integer(10));
  writeFileSync(join(folder, 'x.bin'), x);
  writeFileSync(join(folder, 'y.bin'), y);
  const meta: Record<string, unknown> = { steps, batch, shape: o.shape, lr: learningRate };
  const ours: Record<string, number[]> = {};
  for (const kind of ['plain', 'residual'] as const) {
    const spec = buildNet({ kind, depth: o.depth, inputShape: o.shape, classes: 10 });
    const weights = initWeights(spec, 3);
    meta.blocks = spec.convs.slice(1).map((c) => [c.stride, c.inChannels, c.outChannels]);
    meta[kind] = { shapes: weights.layers.map((l) => [l.kernelShape, l.bias.length]) };
    writeFileSync(
      join(folder, `${kind}.bin`),
      Float32Array.from(weights.layers.flatMap((l) => [...l.kernel, ...l.bias])),
    );
    const trainer = new SgdTrainer(spec, weights, { ...PAPER_SGD, learningRate });
    ours[kind] = [];
    for (let s = 0; s < steps; s++) {
      const xs = tf.tensor4d(x.subarray(s * batch * size, (s + 1) * batch * size), [
        batch,
        ...o.shape,
      ]);
      const ys = tf.tensor1d(y.subarray(s * batch, (s + 1) * batch), 'int32');
      ours[kind].push(trainer.step(xs, ys, learningRate));
      tf.dispose([xs, ys]);
    }
    trainer.dispose();
  }
  writeFileSync(join(folder, 'meta.json'), JSON.stringify(meta));
  const result = spawnSync(python, ['-c', TORCH_REPLAY_SCRIPT, folder], { encoding: 'utf8' });
  rmSync(folder, { recursive: true });
  if (result.status !== 0) {
    throw new Error(`PyTorch replay failed: ${result.stderr.trim().split('\n').pop()}`);
  }
  const theirs = JSON.parse(result.stdout) as Record<string, number[]>;
  const gaps = (kind: string) => {
    const each = ours[kind].map((loss, s) => Math.abs(loss - theirs[kind][s]));
    return { first: each[0], largest: Math.max(...each) };
  };
  return { plain: gaps('plain'), residual: gaps('residual') };
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

  if (!o.torch) {
    console.log('pytorch: not timed (--no-torch)');
    return;
  }
  const python = findTorchPython();
  if (python === undefined) {
    console.log(
      'pytorch: not available (no python3 that imports torch; apt-get install python3-torch)',
    );
    return;
  }
  const fastest = native.name === 'tensorflow' ? native.name : 'wasm';
  const single = runTorch(python, o, 1);
  const all = runTorch(python, o, 0);
  for (const torch of Number(all.threads) > 1 ? [single, all] : [single]) {
    const who = `pytorch ${torch.version} cpu, ${torch.threads} thread(s)`;
    const ratios = (['plain', 'residual'] as const)
      .map((k) => `${k} ${(tfjs[k] / Number(torch[k])).toFixed(2)}x`)
      .join('  ');
    console.log(
      `${who}: plain ${Number(torch.plain).toFixed(3)}  ` +
        `residual ${Number(torch.residual).toFixed(3)}` +
        `  (tfjs ${fastest} / pytorch: ${ratios})`,
    );
  }

  await initBackend('wasm');
  const gaps = replayInTorch(python, o);
  const show = (g: { first: number; largest: number }) =>
    `${g.first.toExponential(1)} at step 1, at most ${g.largest.toExponential(1)}`;
  console.log(
    `pytorch replay of ${REPLAY.steps} SGD steps from the same weights and batches ` +
      `(batch ${REPLAY.batch}, eta ${REPLAY.learningRate}), |loss difference|: ` +
      `plain ${show(gaps.plain)}; residual ${show(gaps.residual)}`,
  );
}

const program = new Command('bench:nets')
  .option('--depth <L>', 'depth 3N + 2', '20')
  .option('--shape <name>', 'cifar (32x32x3) or fashion (28x28x1)', 'cifar')
  .option('--batch <B>', 'mini-batch size', '128')
  .option('--steps <S>', 'timed steps after one warm-up', '3')
  .option('--with-cpu', 'also time the plain cpu backend')
  .option('--no-torch', 'skip the PyTorch timing and replay')
  .parse(process.argv);
const flags = program.opts<{
  depth: string;
  shape: string;
  batch: string;
  steps: string;
  withCpu?: boolean;
  torch: boolean;
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
    torch: flags.torch,
  });
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = error instanceof InputError ? 2 : 1;
}
