import { pathToFileURL } from 'node:url';
import { main } from './dashboard-loaded.js';

// The loaded-machine dashboard bench's old entry point, kept for scripts and docs that run
// `node bench/dist/dashboard.js`: the bench is dashboard-loaded.ts.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv);
