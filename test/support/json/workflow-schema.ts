// The workflow schema of @actions/workflow-parser, for jest.config.js's mapping (see workflow-parser-schema.ts).
import { workflowSchema } from './workflow-parser-schema.js'
export default workflowSchema
