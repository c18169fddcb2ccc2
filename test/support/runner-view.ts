/**
 * What GitHub makes of the action's output, for tests that check invariant 7: the lines its runner
 * reads as workflow commands, and the job summary as github.com renders it.
 *
 * The command model follows actions/runner (see src/text.ts for the files): a line ends at "\n",
 * "\r\n" or a lone "\r"; a line is a command when, after leading white space, it starts with "::"
 * (TryParseV2), or when it holds "##[" anywhere (TryParse, the legacy syntax). .NET compares
 * culture-sensitively, skipping zero-width characters, so the model drops them before looking.
 */
import cmark from 'cmark-gfm'

/** The lines of a process's output as the runner splits them. */
export function runnerLines(output: string): string[] {
  return output.split(/\r\n|\r|\n/)
}

const IGNORABLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu

/** A line as the runner's command parser looks at it. */
function parsed(line: string): string {
  return line.replace(IGNORABLE, '').trimStart()
}

/** Every line of `output` that the runner would take for a workflow command. */
export function commandLines(output: string): string[] {
  return runnerLines(output).filter(line => {
    const seen = parsed(line)
    return seen.startsWith('::') || seen.includes('##[')
  })
}

/**
 * The commands the action means to issue, as @actions/core writes them for it: masks, log groups,
 * and annotations and debug lines without properties (the action passes none). Anything else that
 * the runner would read as a command came from somewhere else.
 */
const OWN_COMMAND = /^::(add-mask|group|endgroup|error|warning|debug)::/

/** The command lines of `output` that the action did not mean to issue. */
export function foreignCommands(output: string): string[] {
  return commandLines(output).filter(line => {
    const seen = parsed(line)
    return !OWN_COMMAND.test(seen) || seen.includes('##[')
  })
}

/** The job summary as GitHub renders it: cmark-gfm with GitHub's extensions, raw HTML allowed. */
export function renderSummary(markdown: string): string {
  return cmark.renderHtmlSync(markdown, {
    unsafe: true,
    extensions: { table: true, autolink: true, strikethrough: true, tagfilter: true }
  })
}

/** The elements the action's summary is made of (core.summary's headings, tables, lists). */
const SUMMARY_ELEMENTS = new Set(['h2', 'h3', 'p', 'pre', 'table', 'tr', 'th', 'td', 'ul', 'li'])

/**
 * Every element of the rendered summary that the action does not write itself: a link, image or
 * any other markup here came from outside text. Attributes count too: the action writes none.
 */
export function foreignMarkup(html: string): string[] {
  const found: string[] = []
  for (const [tag, name, attributes] of html.matchAll(/<\/?([a-zA-Z][\w-]*)([^>]*)>/g)) {
    if (!SUMMARY_ELEMENTS.has(name.toLowerCase()) || attributes.trim() !== '') found.push(tag)
  }
  return found
}
