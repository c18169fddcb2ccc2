/**
 * V8 compiles WebAssembly twice by default: at once with its baseline compiler (Liftoff), then
 * again with its optimising compiler (TurboFan) in background threads, for code that runs long.
 * A rotation runs for under a second and seals a few values with libsodium; the second
 * compilation is never repaid, and on a 2-core runner its threads take CPU from the run itself.
 * `--liftoff-only` keeps the first. V8 reads the flag when it compiles a module.
 *
 * Measured on a 2-core machine, interleaved runs, medians of 9 (docs/performance.md): a
 * one-destination rotation took about 660 ms of CPU by default, 405 ms with the flag set here. Set
 * as the process starts instead, it also changed how undici's HTTP parser is compiled as undici
 * loads (all of it at once), which cost a run refused on its inputs about 20 ms; so it is set
 * once the inputs are valid, before the rotation loads libsodium, and a refused run never sets it.
 * It changes nothing else.
 */
import { setFlagsFromString } from 'node:v8'

let set = false

export function compileWasmOnce(): void {
  if (set) return
  setFlagsFromString('--liftoff-only')
  set = true
}
