/**
 * Text that comes from outside (Hive's and GitHub's messages) or that may hold a secret, made fit
 * for a log line, an output or the job summary. Every module that quotes such text uses these.
 */

const TEXT_LIMIT = 200

/** Replace every occurrence of each (non-empty) secret with '***'. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) {
    if (secret) out = out.split(secret).join('***')
  }
  return out
}

/**
 * Make outside text fit for one line of a log: control and format characters (newlines, ANSI
 * escapes, bidi overrides) become spaces, so the text can't start a new line (nor a workflow
 * command); then secrets are redacted and the result capped. Redacting after the cleaning is what
 * makes it hold: a key has no spaces, so cleaning can't join two halves of one.
 */
export function sanitize(
  text: string,
  secrets: readonly string[] = [],
  limit = TEXT_LIMIT
): string {
  const flat = redact(text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\s]+/gu, ' ').trim(), secrets)
  const chars = Array.from(flat)
  return chars.length > limit ? chars.slice(0, limit - 1).join('') + '…' : flat
}

/**
 * The action's list of secret values (inputs and new keys, as they are masked), and a redact
 * function over all of them: the last filter on everything the action writes out.
 */
export function redactor(): { add(value: string): void; redact: (text: string) => string } {
  const values: string[] = []
  return {
    add(value) {
      if (value && !values.includes(value)) values.push(value)
    },
    redact: text => redact(text, values)
  }
}
