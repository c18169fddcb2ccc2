// Preloaded with `node --import` (NODE_OPTIONS) by test/e2e/lazy-load.e2e.test.ts: registers
// module hooks that append the URL of every module the process loads (the entry, each chunk
// ncc split off for a dynamic import) to the file named by ROTATE_KEY_LOAD_LOG, one per line.
import { register } from 'node:module'

register('./load-log-hooks.mjs', import.meta.url)
