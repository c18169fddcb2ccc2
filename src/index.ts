import { failUnexpected, run } from './main.js'

// run() reports its own failures; this catches only what escaped it, filtered as run() prints.
run().catch(failUnexpected)
