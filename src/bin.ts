#!/usr/bin/env node
/** Executable entry of the command line; see cli.ts and, for Ctrl-C, interrupt.ts. */
import { handleInterrupts } from './interrupt.js';

handleInterrupts();
const { main } = await import('./cli.js');
process.exitCode = await main(process.argv.slice(2));
