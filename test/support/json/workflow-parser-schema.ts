/**
 * @actions/workflow-parser imports its two JSON schemas without an import attribute, which jest
 * warns about on every run ("importing JSON without an import attribute is deprecated").
 * jest.config.js maps those two imports here: the same JSON files, read and parsed, which needs
 * no attribute. Nothing else is changed.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dist = new URL('../../../node_modules/@actions/workflow-parser/dist/', import.meta.url)
const read = (name: string): unknown =>
  JSON.parse(readFileSync(fileURLToPath(new URL(name, dist)), 'utf8'))

export const actionSchema = read('action-v1.0.min.json')
export const workflowSchema = read('workflow-v1.0.min.json')
