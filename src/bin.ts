#!/usr/bin/env node
/** Executable entry of the command line; see cli.ts. */
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
