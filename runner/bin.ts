#!/usr/bin/env node
// Entry point: the only place that sets the process's exit code.
import { main } from './cli.js';

process.exitCode = await main(process.argv);
