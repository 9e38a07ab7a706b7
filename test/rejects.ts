import * as assert from 'uvu/assert';

/** Asserts that `promise` rejects with an error of class `kind` whose message matches `pattern`. */
export async function rejectsWith(
  promise: Promise<unknown>,
  kind: typeof TypeError,
  pattern: RegExp,
): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, kind);
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable('should have been rejected');
}
