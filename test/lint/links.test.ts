/**
 * The documentation a reader follows: every relative link of README.md, CONTRIBUTING.md,
 * SECURITY.md, CHANGELOG.md and docs/*.md names a file that exists, and every #anchor a heading of
 * that file as GitHub makes anchors (links.ts). The planted faults of test/lint/fixtures/links/
 * prove that the check fails on a broken link and on a broken anchor. And the README stays a page
 * for users: at most 25 KB, the rest of the documentation is in docs/.
 */
import { describe, expect, it } from '@jest/globals'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { checkMarkdownLinks, githubSlug, markdownAnchors, markdownLinks } from './links.js'
import { REPO_ROOT, formatProblem, type Problem } from './workflow-checks.js'

const DOCS = readdirSync(join(REPO_ROOT, 'docs'))
  .filter(name => name.endsWith('.md'))
  .sort()
  .map(name => `docs/${name}`)
const FILES = ['README.md', 'CONTRIBUTING.md', 'SECURITY.md', 'CHANGELOG.md', ...DOCS]

/** README.md's limit in bytes: what a user needs to adopt and operate the action. */
const README_MAX_BYTES = 25 * 1024

describe('what is checked', () => {
  // Guards against a listing that silently finds nothing, which would make every check pass.
  it('finds the pages of docs/ and the README’s links into them', () => {
    expect(DOCS).toEqual(expect.arrayContaining(['docs/recovery.md', 'docs/security.md']))
    const readme = markdownLinks(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'))
    expect(readme.filter(l => l.target.startsWith('docs/')).length).toBeGreaterThan(5)
  })
})

describe.each(FILES)('%s', file => {
  it('has no broken relative link or anchor', () => {
    expect(checkMarkdownLinks(file).map(formatProblem)).toEqual([])
  })
})

describe('README.md', () => {
  it(`is at most ${README_MAX_BYTES} bytes`, () => {
    expect(statSync(join(REPO_ROOT, 'README.md')).size).toBeLessThanOrEqual(README_MAX_BYTES)
  })
})

describe('anchors as GitHub makes them', () => {
  it.each([
    ['Try it in two commands', 'try-it-in-two-commands'],
    ["Speed, and GitHub's limits", 'speed-and-githubs-limits'],
    ['Auditing every key: mode: audit', 'auditing-every-key-mode-audit'],
    ['Measuring it: npm run bench', 'measuring-it-npm-run-bench'],
    ['3. The rotation workflow', '3-the-rotation-workflow'],
    ['A/B — test, 2.0 (beta)', 'ab--test-20-beta'],
    ['snake_case and kebab-case', 'snake_case-and-kebab-case'],
    ['Über größe', 'über-größe']
  ])('%s → #%s', (heading, anchor) => {
    expect(githubSlug(heading)).toBe(anchor)
  })

  it('numbers a repeated heading -1, -2 and reads the text of code spans', () => {
    const anchors = markdownAnchors('# A\n\n## A\n\n### A\n\n## `mode: check`\n')
    expect([...anchors]).toEqual(['a', 'a-1', 'a-2', 'mode-check'])
  })
})

describe('planted faults (test/lint/fixtures/links/broken.md)', () => {
  const file = 'test/lint/fixtures/links/broken.md'
  const found = (problems: Problem[]) => problems.map(p => `${p.line}: ${p.message}`)

  it('reports each broken link and anchor at its line, and nothing else', () => {
    expect(found(checkMarkdownLinks(file))).toEqual([
      '10: link "missing.md": test/lint/fixtures/links/missing.md does not exist',
      '12: link "target.md#whats-old": test/lint/fixtures/links/target.md has no heading ' +
        'whose anchor is #whats-old',
      `14: link "#nowhere": ${file} has no heading whose anchor is #nowhere`,
      '18: link "target.md#whats-new-2": test/lint/fixtures/links/target.md has no heading ' +
        'whose anchor is #whats-new-2',
      '22: link "../small.action.yml#inputs": only line anchors (#L12) can be checked on ' +
        'test/lint/fixtures/small.action.yml',
      '24: link "../../../../../shared/vectors/sealed-box.json" leaves the repository',
      '26: link "/nothing.yml": nothing.yml does not exist',
      '39: link "target.md#whats-next": test/lint/fixtures/links/target.md has no heading ' +
        'whose anchor is #whats-next',
      '37: link "gone.md": test/lint/fixtures/links/gone.md does not exist'
    ])
  })

  it('reports nothing for the target, whose only link-like text is its raw anchor', () => {
    expect(found(checkMarkdownLinks('test/lint/fixtures/links/target.md'))).toEqual([])
  })
})
