#!/usr/bin/env node
// The built CLI lives in ../dist (compiled by `npm install` through the root `prepare` script).
import { main } from '../dist/main.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// A command has finished: if a library still holds the event loop (a client's reconnect timer),
// leave anyway after a grace period for output to drain. Unref'd, so a clean exit is not delayed.
setTimeout(() => process.exit(code), 2000).unref();
