import { runPost } from './post/clean.js'

// The post step's entry (dist/post/index.js); post/clean.ts holds what it does, and never throws.
void runPost()
