/**
 * The action run with one request held in flight: a HoldingProxy in front of one emulator, and
 * dist/index.js pointed at it. Resolves once that request is held (or the run ended without
 * reaching it), with the child process to signal and the run to await. The kill, cancel and post
 * step tests each do their own thing to the child from there.
 */
import type { ChildProcess } from 'node:child_process'
import { runAction, type ActionRun } from './run-action.js'
import { HoldingProxy, type Hold } from './hold-proxy.js'
import type { World } from './world.js'

export interface HeldRun {
  /** Stop it when the test is done (the test's afterEach). */
  proxy: HoldingProxy
  child: ChildProcess
  running: Promise<ActionRun>
}

export async function runUntilHeld(
  world: World,
  which: 'hive' | 'github',
  hold: Hold,
  extraInputs: Record<string, string> = {}
): Promise<HeldRun> {
  const proxy = new HoldingProxy(which === 'hive' ? world.hive.url : world.github.url)
  const url = await proxy.start()
  const held = proxy.hold(hold)
  let child: ChildProcess | undefined
  const running = runAction({
    inputs: world.inputs({ ...(which === 'hive' ? { 'hive-url': url } : {}), ...extraInputs }),
    env: { ...world.env, ...(which === 'github' ? { GITHUB_API_URL: url } : {}) },
    onStart: c => (child = c),
    timeoutMs: 60_000
  })
  await Promise.race([held, running])
  if (child === undefined) throw new Error('the action did not start')
  return { proxy, child, running }
}
