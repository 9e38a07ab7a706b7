/**
 * Bad input from a user: a flag out of range, a malformed or missing data file, a checkpoint
 * that does not match the run. The message is one line that names the argument or file and the
 * offending value; the command line prints it and exits with status 2, without a stack trace.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
