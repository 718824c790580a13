#!/usr/bin/env node
// Runs the TypeScript sources directly: no build step between a checkout and a running agent.
import { register } from 'tsx/esm/api';

register();
await import('../agent/cli.ts');
