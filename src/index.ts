import { run } from './main.js'

// run() reports its own failures; this catches only what escaped it.
run().catch((error: unknown) => {
  process.exitCode = 1
  process.stdout.write(`::error::${error instanceof Error ? error.message : String(error)}\n`)
})
