// The action schema of @actions/workflow-parser, for jest.config.js's mapping (see workflow-parser-schema.ts).
import { actionSchema } from './workflow-parser-schema.js'
export default actionSchema
