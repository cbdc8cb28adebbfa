#!/usr/bin/env node
// The `ccp` command: runs the built CLI (npm ci builds it into dist/).
require("../dist/main.js");
