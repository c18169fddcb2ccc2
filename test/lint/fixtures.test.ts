/**
 * Each check of workflow-checks.ts reports the fault planted for it in test/lint/fixtures/, at the
 * line a person would fix, and a fixture with every kind of README block done right reports
 * nothing. Fixture names end in .action.yml / .workflow.yml / .md and live outside
 * .github/workflows and examples/, so neither the real-file checks nor GitHub pick them up.
 */
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  REPO_ROOT,
  checkActionInputs,
  checkActionMetadata,
  checkReadmeTables,
  checkWithActionlint,
  checkWorkflowSyntax,
  readActionMetadata,
  readmeWorkflowBlocks,
  workflowFile,
  type Problem
} from './workflow-checks.js'

const FIXTURES = 'test/lint/fixtures'
const read = (name: string) => readFileSync(join(REPO_ROOT, FIXTURES, name), 'utf8')
const workflow = (name: string) => workflowFile(name, read(name))

const action = readActionMetadata(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8'))
const small = readActionMetadata(read('small.action.yml'))

const found = (problems: Problem[]) =>
  problems.map(p => ({ at: `${p.file}:${p.line}:${p.column}`, check: p.check, message: p.message }))
const problem = (at: string, check: Problem['check'], text: string) => ({
  at,
  check,
  message: expect.stringContaining(text)
})

describe('action metadata (workflow-parser)', () => {
  it('refuses an expression in a description, as the runner does', () => {
    const name = 'expression-in-description.action.yml'
    expect(found(checkActionMetadata(name, read(name)))).toEqual([
      problem(`${name}:7:18`, 'workflow-parser', "Unrecognized named-value: 'secrets'")
    ])
  })

  it('refuses a runs.using the runner does not have', () => {
    const name = 'bad-runs-using.action.yml'
    expect(found(checkActionMetadata(name, read(name)))).toEqual([
      problem(`${name}:5:10`, 'workflow-parser', "Unexpected value 'node22'")
    ])
  })

  it('accepts a well-formed action', () => {
    expect(found(checkActionMetadata('small.action.yml', read('small.action.yml')))).toEqual([])
  })
})

describe('inputs of hive/rotate-key (action.yml, read with yaml)', () => {
  it('reports a with: key that is not an input, for the Marketplace ref and for uses: ./', () => {
    const name = 'unknown-input.workflow.yml'
    expect(found(checkActionInputs(workflow(name), action))).toEqual([
      problem(`${name}:12:11`, 'inputs', "'expires-in-day' is not an input of hive/rotate-key"),
      problem(`${name}:16:11`, 'inputs', "'dry_run' is not an input of hive/rotate-key")
    ])
  })

  it('reports a required input that is not given', () => {
    const name = 'missing-required.workflow.yml'
    expect(found(checkActionInputs(workflow(name), action))).toEqual([
      problem(`${name}:8:15`, 'inputs', "needs the input 'hive-api-key'")
    ])
  })
})

describe('workflows (workflow-parser)', () => {
  it('checks a call to a reusable workflow of this repository against its workflow_call', async () => {
    const name = 'reusable-caller.workflow.yml'
    const ownFiles = (path: string) => {
      expect(path).toBe('.github/workflows/rotate.yml')
      return read('reusable.workflow.yml')
    }
    expect(found(await checkWorkflowSyntax(workflow(name), ownFiles))).toEqual([
      problem(`${name}:6:11`, 'workflow-parser', 'Input destinations is required'),
      problem(`${name}:8:20`, 'workflow-parser', 'destination is not defined in the referenced'),
      problem(`${name}:6:11`, 'workflow-parser', 'Secret hive-api-key is required')
    ])
  })

  it('reports a needs: of no job', async () => {
    const name = 'actionlint.workflow.yml'
    expect(found(await checkWorkflowSyntax(workflow(name)))).toEqual([
      problem(`${name}:12:12`, 'workflow-parser', "depends on unknown job 'tests'")
    ])
  })
})

describe('workflows (actionlint)', () => {
  it('reports a misspelt runner label, an unknown input of actions/checkout and a bad needs:', async () => {
    const name = 'actionlint.workflow.yml'
    expect(found(await checkWithActionlint(workflow(name)))).toEqual([
      problem(`${name}:6:14`, 'actionlint', 'label "ubuntu-lates" is unknown'),
      problem(`${name}:10:11`, 'actionlint', 'input "fetch-dept" is not defined'),
      problem(`${name}:11:3`, 'actionlint', 'job "report" needs job "tests"')
    ])
  })
})

describe('README blocks', () => {
  const name = 'broken-readme.md'
  const readme = readmeWorkflowBlocks(name, read(name))
  const all = async (
    check: (b: (typeof readme.blocks)[number]) => Promise<Problem[]> | Problem[]
  ) => found((await Promise.all(readme.blocks.map(check))).flat())

  it('reads each yaml block as what it is, and reports one that is no part of a workflow', () => {
    expect(readme.blocks.map(b => `${b.kind}@${b.firstLine - 1}`)).toEqual([
      'workflow@5',
      'jobs@18',
      'steps@27',
      'with@36',
      'workflow@50'
    ])
    expect(found(readme.problems)).toEqual([
      problem(`${name}:42:1`, 'readme', 'this yaml block is not a workflow')
    ])
  })

  it('reports parser errors at their README lines, through the wrappers', async () => {
    expect(await all(b => checkWorkflowSyntax(b))).toEqual([
      problem(`${name}:13:25`, 'workflow-parser', "Unrecognized named-value: 'secret'"),
      problem(`${name}:21:5`, 'workflow-parser', 'Required property is missing: runs-on'),
      // where the YAML ends with the [ still open: the block's closing fence
      problem(`${name}:54:1`, 'workflow-parser', 'Flow sequence in block collection')
    ])
  })

  it('reports actionlint errors at their README lines', async () => {
    expect(await all(checkWithActionlint)).toEqual([
      problem(`${name}:13:29`, 'actionlint', 'undefined variable "secret"'),
      problem(`${name}:20:3`, 'actionlint', '"runs-on" section is missing'),
      problem(`${name}:52:1`, 'actionlint', 'could not parse as YAML')
    ])
  })

  it('reports inputs that are not inputs, in steps and in a with: fragment', async () => {
    expect(await all(b => checkActionInputs(b, small))).toEqual([
      problem(`${name}:31:7`, 'inputs', "'dry-runs' is not an input"),
      problem(`${name}:37:1`, 'inputs', "'destination' is not an input")
    ])
  })

  it('reports nothing for every kind of block done right', async () => {
    const clean = readmeWorkflowBlocks('clean-readme.md', read('clean-readme.md'))
    expect(clean.blocks.map(b => b.kind)).toEqual(['workflow', 'jobs', 'steps', 'step', 'with'])
    const problems = [...clean.problems]
    for (const block of clean.blocks) {
      problems.push(...(await checkWorkflowSyntax(block)), ...(await checkWithActionlint(block)))
      problems.push(...checkActionInputs(block, small))
    }
    expect(found(problems)).toEqual([])
  })
})

describe('README tables', () => {
  it('report inputs and outputs missing, extra, twice, unnamed, and defaults that differ', () => {
    const name = 'broken-tables.md'
    expect(found(checkReadmeTables(name, read(name), small))).toEqual([
      problem(`${name}:10:1`, 'readme', "'verbose' is not an input of action.yml"),
      problem(`${name}:11:1`, 'readme', "input 'expires-in-days' is listed twice"),
      problem(`${name}:12:1`, 'readme', 'a name in backticks'),
      problem(`${name}:5:1`, 'readme', "does not list 'dry-run'"),
      problem(`${name}:19:1`, 'readme', "'key-ids' is not an output of action.yml"),
      problem(`${name}:16:1`, 'readme', "does not list 'key-id'"),
      problem(
        `${name}:7:1`,
        'readme',
        "'hive-api-key' is required in action.yml, the table says `x`"
      ),
      problem(`${name}:8:1`, 'readme', 'defaults to `30` in action.yml, the table says `90`'),
      problem(`${name}:9:1`, 'readme', 'no default in action.yml, the table says `repo:octo/app`')
    ])
  })

  it('report nothing when the tables match', () => {
    expect(found(checkReadmeTables('clean-readme.md', read('clean-readme.md'), small))).toEqual([])
  })
})
