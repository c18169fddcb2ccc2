/**
 * The one way out for text: every line the action prints, every annotation, output and summary
 * cell passes through here (main.ts wires the log, setFailed and the outputs to it; summary.ts
 * builds its cells with it). Text from outside (Hive's and GitHub's fields and messages) is
 * untrusted: it must not become a workflow command, markup, or a way to carry a secret out.
 *
 * How GitHub's runner finds workflow commands in a step's output (actions/runner):
 * - src/Runner.Sdk/ProcessInvoker.cs reads stdout and stderr with StreamReader.ReadLine, so a line
 *   ends at "\n", at "\r\n" and at a lone "\r": a bare CR starts a new line too.
 * - src/Runner.Worker/Handlers/OutputManager.cs hands a line to the command manager when it holds
 *   "##[" or "::" anywhere.
 * - src/Runner.Common/ActionCommand.cs, TryParseV2: the line, after TrimStart() (any Unicode white
 *   space), must start with "::"; the command name runs to the next "::" (or a space before it,
 *   then comma-separated properties). TryParse, the legacy syntax: "##[" anywhere in the line, the
 *   name runs to "]" (properties separated by ";"). Both use .NET's culture-sensitive
 *   StartsWith/IndexOf, which skip zero-width ("ignorable") characters: "\u200B::x" and
 *   "#\u200B#[" count as commands, so such characters are removed here, not kept.
 * - src/Runner.Worker/ActionCommandManager.cs: command names are case-insensitive;
 *   "::stop-commands::TOKEN" turns every command off, add-mask included, until a line "::TOKEN::".
 *   One outside line that reaches the log as "::stop-commands::x" un-masks everything after it.
 *
 * So, for a line we print: no CR/LF inside outside text, no control, format or ignorable
 * characters, no "::" at its start (after white space), no "##[" anywhere. Our own commands are
 * issued by @actions/core (add-mask, group, error, warning, debug) and never pass through here.
 */

const TEXT_LIMIT = 200

/** What a message becomes when even its stripped form still carries a secret. */
export const WITHHELD = '(message withheld: it held a secret value)'

/**
 * The secrets shorter than this are still redacted, but not searched for in the stripped form of
 * a message: a few characters could match unrelated text once spaces are gone. Every credential
 * this action holds is much longer.
 */
const MIN_HIDDEN_SECRET = 8

/** Line breaks as the runner and cmark see them, and the Unicode line/paragraph separators. */
const LINE_BREAK = /\r\n|[\r\n\u2028\u2029\u0085]/
/** Invisible characters that .NET's comparisons skip: format (Cf) and default-ignorables. */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu
/** Control characters, lone surrogates and separators: each becomes a space. */
const CONTROL = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]/gu

/** Replace every occurrence of each (non-empty) secret with '***'. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) {
    if (secret) out = out.split(secret).join('***')
  }
  return out
}

/** The text with every white space, control, format and ignorable character removed. */
function stripped(text: string): string {
  return text.normalize('NFKC').replace(/[\s\p{C}\p{Z}\p{Default_Ignorable_Code_Point}]/gu, '')
}

/**
 * True when a secret survives in the text once white space and invisible characters are gone: a
 * key split by a line break or with a zero-width space inside, which redaction does not match.
 */
export function hidesSecret(text: string, secrets: readonly string[]): boolean {
  const bare = stripped(text)
  return secrets.some(secret => {
    const needle = stripped(secret)
    return needle.length >= MIN_HIDDEN_SECRET && bare.includes(needle)
  })
}

/**
 * One line made harmless to the runner: control characters become spaces, invisible ones go,
 * a "::" at its start (after white space) and every "##[" are broken up.
 */
function cleanLine(line: string): string {
  return defuse(line.replace(INVISIBLE, '').replace(CONTROL, ' '))
}

function defuse(line: string): string {
  return line.replace(/^(\s*):(?=:)/u, '$1: ').replace(/##\[/g, '# #[')
}

/**
 * Make outside text fit for one line of a log: control and format characters (newlines, ANSI
 * escapes, bidi overrides) become spaces or go, so the text can't start a new line (nor a workflow
 * command); it is redacted before and after that cleaning, withheld whole when its stripped form
 * still holds a secret, and capped at `limit` characters.
 */
export function sanitize(text: string, given: readonly string[] = [], limit = TEXT_LIMIT): string {
  // Every secret the run knows, not only those the caller has: the cap below must never cut a
  // secret that only a later filter would have recognised whole.
  const secrets = given.length === 0 ? everySecret : [...given, ...everySecret]
  const raw = redact(text, secrets)
  const flat = redact(
    raw
      .replace(INVISIBLE, '')
      .replace(/[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\s]+/gu, ' ')
      .trim(),
    secrets
  )
  if (hidesSecret(flat, secrets)) return WITHHELD
  const safe = defuse(flat)
  const chars = Array.from(safe)
  return chars.length > limit ? chars.slice(0, limit - 1).join('') + '…' : safe
}

/** `sanitize` without a length cap: for outputs and summary cells. */
export function oneLine(text: string, secrets: readonly string[]): string {
  return sanitize(text, secrets, Infinity)
}

/**
 * The action's own message, which may span lines on purpose (a list of failures): redacted,
 * withheld whole when a secret hides in it, then split on every line break (CR included) and
 * each line cleaned. The lines are joined with "\n" again, for @actions/core to print (info) or
 * escape into one command (warning, error, debug).
 */
export function logText(text: string, secrets: readonly string[]): string {
  const raw = redact(text, secrets)
  if (hidesSecret(raw, secrets)) return WITHHELD
  return raw
    .split(LINE_BREAK)
    .map(line => redact(cleanLine(line), secrets).trimEnd())
    .join('\n')
}

/**
 * The action's list of secret values (inputs and new keys, as they are masked): every printed
 * text is filtered against it.
 */
export interface Redactor {
  add(value: string): void
  /** The values added so far (a live view). */
  readonly values: readonly string[]
  redact(text: string): string
}

/**
 * Every secret value any redactor of this process was given: `sanitize` redacts them wherever it
 * is called, so that a module that quotes outside text needn't be handed the run's list.
 */
const everySecret: string[] = []

export function redactor(): Redactor {
  const values: string[] = []
  return {
    add(value) {
      if (value && !values.includes(value)) values.push(value)
      if (value && !everySecret.includes(value)) everySecret.push(value)
    },
    values,
    redact: text => redact(text, values)
  }
}
