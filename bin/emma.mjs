#!/usr/bin/env node
// The `emma` command. Runs the TypeScript sources through tsx, so no build step is needed for the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../main/cli/index.ts');
