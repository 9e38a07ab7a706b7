/**
 * Checks of command-line flag values for the measurement commands: each bad value ends the
 * command with one line that names the flag and shows the value (an InputError, exit status 2).
 */
import { CommanderError, type Command } from 'commander';

import { makeDirectory } from '../src/make-directory.js';
import { InputError } from './errors.js';

/** Creates the folder that --out names, with its parents, or ends with one line naming it. */
export function createOutFolder(out: string): void {
  try {
    makeDirectory(out);
  } catch (error) {
    throw new InputError(`--out ${out}: cannot create the folder (${(error as Error).message})`);
  }
}

/** An integer flag within [min, max]. */
export function integerFlag(flag: string, raw: string, min: number, max = 2 ** 31): number {
  const value = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || value < min || value > max) {
    throw new InputError(`${flag} must be an integer in ${min}..${max}, got '${raw}'`);
  }
  return value;
}

/** A flag that takes one of a few words. */
export function choiceFlag<T extends string>(flag: string, raw: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(raw)) {
    throw new InputError(`${flag} must be one of ${choices.join(', ')}, got '${raw}'`);
  }
  return raw as T;
}

/** A depth 3N + 2 of the nets, N >= 1. */
export function depthFlag(raw: string): number {
  const depth = integerFlag('--depth', raw, 5, 200);
  if ((depth - 2) % 3 !== 0) {
    throw new InputError(`--depth must be 3N + 2 (20, 32, 44), got '${raw}'`);
  }
  return depth;
}

/** Exit status for bad input. */
export const EXIT_BAD_INPUT = 2;

/**
 * Parses and runs a commander program and returns the exit status: 0 on success, 2 on bad
 * input (a one-line message on stderr, no stack trace), 1 on any other failure.
 */
export async function runProgram(
  program: Command,
  argv: string[],
  stderr: (text: string) => void,
): Promise<number> {
  for (const command of [program, ...program.commands]) command.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    if (error instanceof InputError) {
      stderr(`error: ${error.message}\n`);
      return EXIT_BAD_INPUT;
    }
    stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
