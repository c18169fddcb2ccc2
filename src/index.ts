import { Cancellation, EXIT_DEADLINE_MS, installSignalHandlers } from './cancel.js'
import { failUnexpected, run } from './main.js'

// The runner cancels with SIGINT, then SIGTERM 7.5 s later, then a kill: the first signal stops
// the run (cancel.ts), which brings itself to a safe state and ends well before the SIGTERM.
const cancellation = new Cancellation()
installSignalHandlers(cancellation, () =>
  failUnexpected(
    new Error(
      `The run was cancelled and its clean-up did not end within ${EXIT_DEADLINE_MS / 1000} s; ` +
        'exiting before the runner kills it. The post step and the next run clean up after it.'
    )
  )
)

// run() reports its own failures; this catches only what escaped it, filtered as run() prints.
run({ cancellation })
  .catch(failUnexpected)
  .finally(() => {
    // Cancelled: exit now, whatever idle connection or timer is left (1 when it failed: setFailed).
    if (cancellation.requested) process.exit(process.exitCode ?? 0)
  })
