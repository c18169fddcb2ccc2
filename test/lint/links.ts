/**
 * Relative links and anchors of the repository's Markdown, as GitHub resolves them.
 *
 * Links are found in the HTML that cmark-gfm (GitHub's renderer) makes of the file, so inline
 * links, reference links, autolinks and raw HTML are read as GitHub reads them, and text in code
 * spans or fenced blocks is never taken for a link. For each link that is not a URL with a scheme
 * (https:, mailto:):
 *
 * - the path, relative to the linking file's folder (or to the repository root when it starts
 *   with `/`), names a file or folder that exists;
 * - an `#anchor` on a Markdown file (or on the linking file itself, `#anchor` alone) is the anchor
 *   of one of its headings as GitHub makes them (githubSlug), or an `id`/`name` of raw HTML in it;
 *   on any other file only GitHub's line anchors (`#L12`, `#L12-L20`) are accepted.
 *
 * The same function runs over the real files (links.test.ts) and over planted faults in
 * test/lint/fixtures/links/, so a check that reports nothing on the real files is known to fail.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, normalize, relative, resolve } from 'node:path'
import cmark from 'cmark-gfm'
import { REPO_ROOT, type Problem } from './workflow-checks.js'

function renderMarkdown(markdown: string): string {
  // The package's typings spell the option 'sourcerepos'; the binding reads 'sourcepos'.
  const options = {
    sourcepos: true,
    unsafe: true,
    extensions: { table: true, autolink: true, strikethrough: true }
  } as Partial<cmark.IOptions>
  return cmark.renderHtmlSync(markdown, options)
}

const unescapeHtml = (html: string) =>
  html
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&(lt|gt|quot|amp);/g, (_, name: string) => {
      return { lt: '<', gt: '>', quot: '"', amp: '&' }[name] as string
    })

/**
 * A heading's anchor as GitHub makes it (github-slugger): the heading's text, lower-cased, every
 * character that is not a letter, a mark, a digit, `_`, `-` or a space dropped, spaces made `-`.
 */
export function githubSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-')
}

/** The anchors of a Markdown file: its headings' (a repeated one gets -1, -2, …) and raw HTML ids. */
export function markdownAnchors(markdown: string): Set<string> {
  const html = renderMarkdown(markdown)
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const [, inner] of html.matchAll(/<h[1-6][^>]*>([\s\S]*?)<\/h[1-6]>/g)) {
    const text = unescapeHtml(inner.replace(/<[^>]*>/g, ''))
    const base = githubSlug(text)
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  // Raw HTML that names an anchor: <a name="x">, <a id="x">, <div id="x">.
  for (const [, , value] of html.matchAll(/<[a-z][^>]*\s(id|name)="([^"]+)"/gi)) {
    anchors.add(unescapeHtml(value))
  }
  return anchors
}

export interface MarkdownLink {
  /** The destination as written (HTML entities and percent-escapes undone). */
  target: string
  /** The line of the linking file that holds it (of the block it is in, when not found as written). */
  line: number
}

/** Every link and image of a Markdown file, in document order, with the line that holds it. */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const html = renderMarkdown(markdown)
  const lines = markdown.split('\n')
  const links: MarkdownLink[] = []
  let blockLine = 1
  let cursor = 1
  const re = /data-sourcepos="(\d+):\d+-[^"]*"|<(?:a|img)\s[^>]*?(?:href|src)="([^"]*)"/g
  for (const [, pos, href] of html.matchAll(re)) {
    if (pos !== undefined) {
      blockLine = Number(pos)
      continue
    }
    let target = unescapeHtml(href)
    try {
      target = decodeURIComponent(target)
    } catch {
      // a stray % stays as written
    }
    // The first line from the block's start (or from the block's previous link) that shows the
    // link as written, else its path (a reference link: its definition), else the block's start.
    if (blockLine > cursor) cursor = blockLine
    const path = target.split('#')[0]
    const from = (start: number, text: string) =>
      text === '' ? -1 : lines.findIndex((line, i) => i >= start - 1 && line.includes(text)) + 1
    const at = from(cursor, target) || from(cursor, path) || from(blockLine, target) || blockLine
    if (at >= cursor) cursor = at
    links.push({ target, line: at })
  }
  return links
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i
const LINE_ANCHOR = /^L\d+(C\d+)?(-L\d+(C\d+)?)?$/

/**
 * The broken relative links and anchors of `file` (a path from `root`). External links (a scheme)
 * are not checked: no test here reaches the network.
 */
export function checkMarkdownLinks(file: string, root = REPO_ROOT): Problem[] {
  const problems: Problem[] = []
  const markdown = readFileSync(join(root, file), 'utf8')
  const anchorsOf = new Map<string, Set<string>>()
  const anchors = (path: string) => {
    let found = anchorsOf.get(path)
    if (!found) {
      found = markdownAnchors(readFileSync(join(root, path), 'utf8'))
      anchorsOf.set(path, found)
    }
    return found
  }
  const report = (line: number, message: string) =>
    problems.push({ file, line, column: 1, check: 'readme', message })

  for (const { target, line } of markdownLinks(markdown)) {
    if (SCHEME.test(target) || target.startsWith('//')) continue
    const hash = target.indexOf('#')
    const pathPart = hash < 0 ? target : target.slice(0, hash)
    const anchor = hash < 0 ? undefined : target.slice(hash + 1)
    const absolute = pathPart.startsWith('/')
      ? resolve(root, '.' + pathPart)
      : resolve(root, dirname(file), pathPart)
    const path = normalize(relative(root, absolute)) || '.'
    if (path.startsWith('..')) {
      report(line, `link "${target}" leaves the repository`)
      continue
    }
    if (pathPart !== '' && !existsSync(absolute)) {
      report(line, `link "${target}": ${path} does not exist`)
      continue
    }
    if (anchor === undefined) continue
    const isMarkdown = /\.md$/i.test(path) && statSync(absolute).isFile()
    if (pathPart === '' || isMarkdown) {
      const linked = pathPart === '' ? file : path
      if (!anchors(linked).has(anchor)) {
        report(line, `link "${target}": ${linked} has no heading whose anchor is #${anchor}`)
      }
    } else if (!LINE_ANCHOR.test(anchor)) {
      report(line, `link "${target}": only line anchors (#L12) can be checked on ${path}`)
    }
  }
  return problems
}
