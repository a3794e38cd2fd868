#!/usr/bin/env node
// A committed launcher, so that installing the workspace links the command before the first build.
import '../dist/cli.js';
