/* global WebAssembly */
// Preloaded (--import) by test/unit/wasm-flags.test.ts into a run of the bundle: records, in
// order, each V8 flag the process sets and each WebAssembly module it compiles, and prints the
// record on stderr at exit as one line `wasm-order: [...]`.
import module from 'node:module'
import v8 from 'node:v8'

const events = []
const setFlags = v8.setFlagsFromString
v8.setFlagsFromString = flags => {
  events.push(`flags ${flags}`)
  return setFlags.call(v8, flags)
}
module.syncBuiltinESMExports()
for (const name of ['compile', 'instantiate']) {
  const original = WebAssembly[name]
  WebAssembly[name] = function (...args) {
    events.push(`wasm ${name}`)
    return original.apply(this, args)
  }
}
const OriginalModule = WebAssembly.Module
WebAssembly.Module = function (...args) {
  events.push('wasm Module')
  return new OriginalModule(...args)
}
process.on('exit', () => process.stderr.write(`wasm-order: ${JSON.stringify(events)}\n`))
