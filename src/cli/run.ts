/** Process entry point: `node dist/cli/run.js serve ...` (bin/sextant.js) or `node --import tsx src/cli/run.ts ...`. */
import { main } from './main.js';

await main(process.argv.slice(2));
