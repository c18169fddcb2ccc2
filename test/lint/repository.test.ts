/**
 * The repository as GitHub reads it: action.yml loads as the runner loads it, and every workflow
 * (.github/workflows/, examples/) and every workflow block of the README and of docs/*.md passes
 * GitHub's parser,
 * actionlint and our own inputs check. Files are found by listing, so a new workflow or example
 * is checked without being named here. fixtures.test.ts proves each check can fail.
 */
import { describe, expect, it } from '@jest/globals'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import {
  REPO_ROOT,
  checkActionInputs,
  checkActionMetadata,
  checkReadmeTables,
  checkWithActionlint,
  checkWorkflowSyntax,
  formatProblem,
  readActionMetadata,
  readmeWorkflowBlocks,
  workflowFile,
  yamlFilesUnder,
  type WorkflowSource
} from './workflow-checks.js'

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8')

const ACTION = read('action.yml')
const README = read('README.md')
const action = readActionMetadata(ACTION)
const files = [...yamlFilesUnder('.github/workflows'), ...yamlFilesUnder('examples')]
const readme = readmeWorkflowBlocks('README.md', README)
// The pages of docs/ hold workflow blocks moved out of the README: checked the same way.
const pages = readdirSync(join(REPO_ROOT, 'docs'))
  .filter(name => name.endsWith('.md'))
  .sort()
  .map(name => readmeWorkflowBlocks(`docs/${name}`, read(`docs/${name}`)))
const blocks = [...readme.blocks, ...pages.flatMap(page => page.blocks)]
const sources: [string, WorkflowSource][] = [
  ...files.map((file): [string, WorkflowSource] => [file, workflowFile(file, read(file))]),
  ...blocks.map((b): [string, WorkflowSource] => [`${b.file}:${b.firstLine - 1} (${b.kind})`, b])
]

describe('action.yml', () => {
  it('loads as the runner loads it (workflow-parser, action schema)', () => {
    expect(checkActionMetadata('action.yml', ACTION).map(formatProblem)).toEqual([])
  })
})

describe('what is checked', () => {
  // Guards against a listing that silently finds nothing, which would make every check pass.
  it('finds the workflows and the README blocks', () => {
    expect(files).toContain('.github/workflows/ci.yml')
    expect(readme.blocks.filter(b => b.kind === 'workflow').length).toBeGreaterThan(0)
  })

  it('finds the workflow blocks of docs/', () => {
    expect(blocks.filter(b => b.file.startsWith('docs/')).length).toBeGreaterThan(0)
  })

  it('every yaml block of the README and of docs/ is part of a workflow', () => {
    const problems = [...readme.problems, ...pages.flatMap(page => page.problems)]
    expect(problems.map(formatProblem)).toEqual([])
  })
})

describe.each(sources)('%s', (_name, source) => {
  it('passes GitHub’s workflow parser', async () => {
    expect((await checkWorkflowSyntax(source)).map(formatProblem)).toEqual([])
  })

  it('passes actionlint', async () => {
    expect((await checkWithActionlint(source)).map(formatProblem)).toEqual([])
  })

  it('passes hive/rotate-key only inputs of action.yml, and the required ones', () => {
    expect(checkActionInputs(source, action).map(formatProblem)).toEqual([])
  })
})

describe('README tables', () => {
  it('list exactly the inputs and outputs of action.yml, with its defaults', () => {
    expect(checkReadmeTables('README.md', README, action).map(formatProblem)).toEqual([])
  })
})

describe('test/support/durations.json', () => {
  it('names every test file and no other (a fresh clone starts the longest first from it)', () => {
    const hints = JSON.parse(read('test/support/durations.json')) as Record<string, number>
    const testFiles = readdirSync(join(REPO_ROOT, 'test'), { recursive: true })
      .map(String)
      .filter(name => name.endsWith('.test.ts'))
      .map(name => `test/${name}`)
      .sort()
    // A new file without an entry is started by size, which put the long waiting files last:
    // refresh with `node scripts/test-durations.mjs .tmp/jest.json` after a whole run.
    expect(Object.keys(hints).sort()).toEqual(testFiles)
    expect(Object.values(hints).every(s => typeof s === 'number' && s > 0)).toBe(true)
  })
})
