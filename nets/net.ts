/**
 * The simplified plain and residual conv nets of the package, as a layer list and a forward
 * pass over explicit weight tensors.
 *
 * Architecture (depth L = 3N + 2 trainable layers): a 3x3 conv with 16 channels and ReLU (the
 * stem); three groups of N blocks with 16, 32 and 64 channels, where the first block of groups
 * 2 and 3 has stride 2 and doubles the channels; global average pooling; a dense layer to the
 * classes; softmax. Every conv is 3x3 with one pixel of zero padding on each side, so output
 * pixel (i, j) of a stride-s conv is centred on input pixel (s i, s j).
 *
 * A plain block is y = relu(conv(x) + b). A residual block is y = relu(conv(x) + b + id(x)),
 * where id(x) is exactly what the ID entries (kernel position (c, c, centre) for c < min(C, D))
 * of an added identity kernel produce: channel c of the output receives channel c of the input
 * at the centre pixel (subsampled by the stride), and channels C..D-1 of a widening block
 * receive nothing. The map T of map.ts therefore turns a residual net into a plain net with the
 * same function; T leaves the stem and the dense layer alone, as they have no identity.
 */
import * as tf from '@tensorflow/tfjs';

/** Plain nets stack conv + ReLU blocks; residual nets add the identity inside each block. */
export type NetKind = 'plain' | 'residual';

/** What {@link buildNet} needs to know. */
export interface NetOptions {
  kind: NetKind;
  /** Trainable layers, 3N + 2 for N >= 1 blocks per group: 20, 32 and 44 in the paper. */
  depth: number;
  /** [height, width, channels] of one input image: [32, 32, 3] or [28, 28, 1]. */
  inputShape: readonly [number, number, number];
  /** Number of classes of the dense layer. */
  classes: number;
}

/** One conv layer of a net. */
export interface ConvLayerSpec {
  /** Position among the trainable layers, 0 for the stem. */
  index: number;
  /** 'stem' for the first conv, 'block' for the convs of the three groups. */
  role: 'stem' | 'block';
  /** Group 0, 1 or 2 of a block; -1 for the stem. */
  group: number;
  inChannels: number;
  outChannels: number;
  /** 1, or 2 for the first block of groups 1 and 2. */
  stride: number;
  /** [height, width] of the input and of the output feature maps. */
  inSize: [number, number];
  outSize: [number, number];
  /** Whether the layer adds the identity (the blocks of a residual net). */
  identity: boolean;
}

/** A net's structure: its convs, then one dense layer. */
export interface NetSpec {
  kind: NetKind;
  depth: number;
  /** Blocks per group, N = (depth - 2) / 3. */
  blocksPerGroup: number;
  inputShape: [number, number, number];
  classes: number;
  convs: ConvLayerSpec[];
  /** Inputs of the dense layer: the channels of the last group, 64. */
  features: number;
}

/** Channels of the stem and of groups 0, 1, 2. */
export const GROUP_WIDTHS = [16, 32, 64] as const;

/** Side of every conv kernel. */
export const KERNEL_SIZE = 3;

/** The explicit one-pixel zero padding of every conv. */
export const CONV_PADDING: [
  [number, number],
  [number, number],
  [number, number],
  [number, number],
] = [
  [0, 0],
  [1, 1],
  [1, 1],
  [0, 0],
];

function checkInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Output side of a 3x3 conv with one pixel of padding and the given stride. */
function convOutSize(n: number, stride: number): number {
  return Math.floor((n + 2 - KERNEL_SIZE) / stride) + 1;
}

/**
 * The layer list of a simplified plain or residual net.
 *
 * @throws RangeError naming the option when the depth is not 3N + 2 (N >= 1), the kind is
 *   unknown, or the input shape or classes are not positive integers
 */
export function buildNet(options: NetOptions): NetSpec {
  const { kind, depth, inputShape, classes } = options;
  if (kind !== 'plain' && kind !== 'residual') {
    throw new RangeError(`kind must be 'plain' or 'residual', got ${JSON.stringify(kind)}`);
  }
  checkInteger('depth', depth, 5);
  if ((depth - 2) % 3 !== 0) {
    throw new RangeError(`depth must be 3N + 2 (5, 8, ..., 20, 32, 44), got ${depth}`);
  }
  if (!Array.isArray(inputShape) || inputShape.length !== 3) {
    throw new RangeError(`inputShape must be [height, width, channels], got ${inputShape}`);
  }
  inputShape.forEach((n, i) => checkInteger(`inputShape[${i}]`, n, 1));
  checkInteger('classes', classes, 2);

  const N = (depth - 2) / 3;
  const [height, width, channels] = inputShape;
  const convs: ConvLayerSpec[] = [
    {
      index: 0,
      role: 'stem',
      group: -1,
      inChannels: channels,
      outChannels: GROUP_WIDTHS[0],
      stride: 1,
      inSize: [height, width],
      outSize: [height, width],
      identity: false,
    },
  ];
  let size: [number, number] = [height, width];
  let inChannels: number = GROUP_WIDTHS[0];
  for (let group = 0; group < 3; group++) {
    for (let block = 0; block < N; block++) {
      const stride = group > 0 && block === 0 ? 2 : 1;
      const outSize: [number, number] = [
        convOutSize(size[0], stride),
        convOutSize(size[1], stride),
      ];
      convs.push({
        index: convs.length,
        role: 'block',
        group,
        inChannels,
        outChannels: GROUP_WIDTHS[group],
        stride,
        inSize: size,
        outSize,
        identity: kind === 'residual',
      });
      size = outSize;
      inChannels = GROUP_WIDTHS[group];
    }
  }
  return {
    kind,
    depth,
    blocksPerGroup: N,
    inputShape: [height, width, channels],
    classes,
    convs,
    features: GROUP_WIDTHS[2],
  };
}

/** The trainable tensors of one layer: a conv kernel [3, 3, C, D] or a dense matrix [64, K]. */
export interface LayerTensors {
  kernel: tf.Tensor;
  bias: tf.Tensor1D;
}

/** What the forward pass reports about one conv layer, when asked. */
export interface LayerTrace {
  /** The layer's input x (the previous layer's output, or the image for the stem). */
  input: tf.Tensor4D;
  /** conv(x) + b: the layer's own linear map and bias, without the identity. */
  linear: tf.Tensor4D;
  /** The layer's output: relu(linear), or relu(linear + id(x)) in a residual block. */
  output: tf.Tensor4D;
}

/**
 * The identity a residual block adds: the input subsampled at the kernel centres (pixel (s i,
 * s j)) and, for a widening block, zeros in the new channels.
 */
export function blockIdentity(x: tf.Tensor4D, layer: ConvLayerSpec): tf.Tensor4D {
  const [batch, height, width, channels] = x.shape;
  let y = x;
  if (layer.stride > 1) {
    const s = layer.stride;
    const [outHeight, outWidth] = layer.outSize;
    const padded = tf.pad(y, [
      [0, 0],
      [0, s * outHeight - height],
      [0, s * outWidth - width],
      [0, 0],
    ]);
    y = tf
      .reshape(padded, [batch * outHeight, s, outWidth, s * channels])
      .slice([0, 0, 0, 0], [batch * outHeight, 1, outWidth, channels])
      .reshape([batch, outHeight, outWidth, channels]);
  }
  if (layer.outChannels > channels) {
    y = tf.pad(y, [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, layer.outChannels - channels],
    ]);
  }
  return y;
}

/**
 * x + b for feature maps x [batch, height, width, channels] and a bias b [channels], with the
 * bias gradient computed as ones[1, n] x dy[n, channels] (n = batch * height * width). tfjs's own
 * gradient reduces dy over three leading axes, which the wasm backend does by transposing dy
 * first: about 30 times slower on a 128 x 32 x 32 x 16 map, and 10% of a depth-20 step.
 */
export const addBias = tf.customGrad((x, b) => {
  const y = tf.add(x as tf.Tensor4D, b as tf.Tensor1D);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
      const g = dy as tf.Tensor4D;
      const channels = g.shape[3];
      const n = g.size / channels;
      const db = tf.matMul(tf.ones([1, n]), tf.reshape(g, [n, channels]));
      return [g, tf.reshape(db, [channels])];
    },
  };
}) as (x: tf.Tensor4D, b: tf.Tensor1D) => tf.Tensor4D;

/**
 * The net's logits for a batch of images, by the forward pass described in the module comment.
 * Call inside tf.tidy (or a gradient function): the intermediate tensors are not disposed here.
 *
 * @param spec - the net's structure
 * @param params - one {@link LayerTensors} per trainable layer, in order
 * @param x - images [batch, height, width, channels], normalised
 * @param onLayer - called once per conv layer with its input, linear part and output
 */
export function forward(
  spec: NetSpec,
  params: readonly LayerTensors[],
  x: tf.Tensor4D,
  onLayer?: (layer: ConvLayerSpec, trace: LayerTrace) => void,
): tf.Tensor2D {
  let h = x;
  for (const layer of spec.convs) {
    const { kernel, bias } = params[layer.index];
    const linear = addBias(tf.conv2d(h, kernel as tf.Tensor4D, layer.stride, CONV_PADDING), bias);
    const output = tf.relu(
      layer.identity ? tf.add<tf.Tensor4D>(linear, blockIdentity(h, layer)) : linear,
    );
    onLayer?.(layer, { input: h, linear, output });
    h = output;
  }
  const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
  const dense = params[spec.convs.length];
  return tf.add(tf.matMul(pooled, dense.kernel as tf.Tensor2D), dense.bias);
}

/**
 * Mean softmax cross-entropy of logits [batch, classes] against integer labels [batch].
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const oneHot = tf.oneHot(labels, logits.shape[1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1)) as tf.Scalar);
}
