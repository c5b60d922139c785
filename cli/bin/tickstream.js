#!/usr/bin/env node
// The built CLI lives in ../dist (compiled by `npm install` through the root `prepare` script).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
