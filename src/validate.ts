/**
 * Argument checks shared by every public function: each failure is a TypeError (wrong type,
 * unknown option) or a RangeError (outside the domain) whose message names the argument and
 * shows the value it got.
 */

/** A value as an error message shows it: strings quoted, with its type where that matters. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value)}`;
    case 'bigint':
      return `bigint ${value}n`;
    case 'symbol':
    case 'function':
      return `${typeof value} ${String(value).slice(0, 40)}`;
    case 'undefined':
      return 'undefined';
    case 'number':
    case 'boolean':
      return String(value);
    default:
      try {
        const bigints = (_: string, item: unknown) =>
          typeof item === 'bigint' ? `${item}n` : item;
        return JSON.stringify(value, bigints) ?? String(value);
      } catch {
        return String(value);
      }
  }
}

/**
 * A value of type number (NaN and infinities included), for functions that follow Math's rules
 * for them.
 *
 * @throws TypeError naming the argument otherwise
 */
export function checkNumberType(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number, got ${describeValue(value)}`);
  }
}

/**
 * A number, and finite.
 *
 * @throws TypeError when `value` is not a number; RangeError when it is NaN or infinite
 */
export function checkFinite(name: string, value: unknown): number {
  checkNumberType(name, value);
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be finite, got ${value}`);
  return value;
}

/**
 * An integer no smaller than `min`.
 *
 * @throws TypeError when `value` is not a number; RangeError otherwise outside the domain
 */
export function checkInteger(name: string, value: unknown, min: number): number {
  const x = checkFinite(name, value);
  if (!Number.isInteger(x) || x < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${x}`);
  }
  return x;
}

/**
 * A probability, in [0, 1].
 *
 * @throws TypeError when `value` is not a number; RangeError otherwise outside [0, 1]
 */
export function checkProbability(name: string, value: unknown): number {
  const x = checkFinite(name, value);
  if (x < 0 || x > 1) throw new RangeError(`${name} must be in [0, 1], got ${x}`);
  return x;
}

/**
 * A finite number above 0, such as the exponent c of the logistic approximation.
 *
 * @throws TypeError when `value` is not a number; RangeError when it is not finite and > 0
 */
export function checkPositive(name: string, value: unknown): number {
  checkNumberType(name, value);
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
  }
  return value;
}

/**
 * An options object whose keys are all in `known`, so that a misspelt option is an error
 * rather than silently ignored. Returns it.
 *
 * @throws TypeError when `options` is not an object or has a key outside `known`
 */
export function checkOptions<T extends object>(options: T, known: readonly string[]): T {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`unknown option ${key}; known: ${known.join(', ')}`);
    }
  }
  return options;
}

/**
 * An optional callback: undefined, or a function.
 *
 * @throws TypeError naming the option otherwise
 */
export function checkCallback(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${name} must be a function, got ${describeValue(value)}`);
  }
}
