/* global WebAssembly */
// Preloaded (--import) by test/e2e/wasm-flags.e2e.test.ts into a run of the bundle: records, in
// order, each V8 flag the process sets and each WebAssembly module it compiles (`sodium` when its
// bytes hold libsodium's names, `sodium` and `randombytes`; `other` for any other; `module` for
// an already compiled one), and prints the record on stderr at exit as one line `wasm-order: [...]`.
import module from 'node:module'
import v8 from 'node:v8'

const events = []
const setFlags = v8.setFlagsFromString
v8.setFlagsFromString = flags => {
  events.push(`flags ${flags}`)
  return setFlags.call(v8, flags)
}
module.syncBuiltinESMExports()

const SODIUM = ['sodium', 'randombytes'].map(name => Buffer.from(name))
function kind(source) {
  if (source instanceof WebAssembly.Module) return 'module'
  const bytes = ArrayBuffer.isView(source)
    ? Buffer.from(source.buffer, source.byteOffset, source.byteLength)
    : Buffer.from(source)
  return SODIUM.every(name => bytes.includes(name)) ? 'sodium' : 'other'
}
for (const name of ['compile', 'instantiate']) {
  const original = WebAssembly[name]
  WebAssembly[name] = function (source, ...rest) {
    events.push(`wasm ${name} ${kind(source)}`)
    return original.call(this, source, ...rest)
  }
}
const OriginalModule = WebAssembly.Module
const RecordingModule = function (source) {
  events.push(`wasm Module ${kind(source)}`)
  return new OriginalModule(source)
}
RecordingModule.prototype = OriginalModule.prototype
Object.setPrototypeOf(RecordingModule, OriginalModule)
WebAssembly.Module = RecordingModule
process.on('exit', () => process.stderr.write(`wasm-order: ${JSON.stringify(events)}\n`))
