/**
 * What Ctrl-C or SIGTERM reports on the command line. The executable sets the handler before it
 * loads anything else (loading takes a few tenths of a second); a sweep then says, through
 * {@link setInterruptOutcome}, what an interrupt would leave behind.
 */

const NOTHING_DONE = (): string => 'before the sweep began; nothing was changed';

let describeOutcome: () => string = NOTHING_DONE;

/** Sets what the interrupt line says from now on; with no argument, that nothing was done. */
export function setInterruptOutcome(describe: () => string = NOTHING_DONE): void {
  describeOutcome = describe;
}

/**
 * Makes SIGINT and SIGTERM print "interrupted: <outcome>" on stderr and exit with 130 or 143.
 * On a terminal the line starts below the progress bar.
 */
export function handleInterrupts(): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    const newline = process.stderr.isTTY ? '\n' : '';
    process.stderr.write(`${newline}interrupted: ${describeOutcome()}\n`);
    process.exit(signal === 'SIGTERM' ? 143 : 130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
