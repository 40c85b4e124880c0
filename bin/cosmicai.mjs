#!/usr/bin/env node
// The `cosmicai` command. tsx loads the TypeScript sources directly, so `npx cosmicai` works right after `npm install`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../app/cli/index.ts');
await main(process.argv);
