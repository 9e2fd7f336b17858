#!/usr/bin/env node
/**
 * The entry point: the registry of commands, then the dispatcher (source/commands/index.ts), which parses the
 * command line with meow, checks it against the command's spec and runs it. Help is made from the same registry.
 */
import './source/commands/all.js';
import {exitOnOutputErrors, main} from './source/commands/index.js';

exitOnOutputErrors();

process.exitCode = await main(process.argv.slice(2));
