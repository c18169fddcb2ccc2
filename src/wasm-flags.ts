/**
 * Imported first by both entry points, before any WebAssembly is compiled: libsodium's, and
 * undici's HTTP parser (llhttp), which undici compiles as it loads.
 *
 * V8 compiles WebAssembly twice by default: at once with its baseline compiler (Liftoff), then
 * again with its optimising compiler (TurboFan) in background threads, for code that runs long.
 * This process runs for under a second and seals a few values; the second compilation is never
 * repaid, and on a 2-core runner its threads take CPU from the run itself. `--liftoff-only` keeps
 * the first. Measured on a 2-core machine, a one-destination rotation: about 540 ms of CPU by
 * default, 405 ms with it (docs/performance.md). V8 reads the flag when it compiles a module, so
 * it is set here, before anything else is loaded; it changes nothing else.
 */
import { setFlagsFromString } from 'node:v8'

setFlagsFromString('--liftoff-only')
