// Decap CMS's configuration schema as a plain JSON Schema (draft-07), for tests/test_cms.py.
//
// Decap validates its config.yml with AJV (decap-cms-core/src/constants/configSchema.js) plus
// each widget's schema (decap-cms-widget-*/src/schema.js) and AJV extensions. This script reads
// those source files from node_modules/ (the versions pinned in package-lock.json) and writes
// the same rules in standard keywords:
//   select/selectCases on `widget` -> allOf of if/then on the widget name;
//   prohibited: [a, b]             -> not: {anyOf: [{required: [a]}, {required: [b]}]};
//   {instanceof: 'RegExp' | 'Function'} alone -> {not: {}} (a YAML or JSON file cannot hold one);
//   uniqueItemProperties, errorMessage -> left out (unique field names are checked by the test).
// Usage: node tools/decap_config_schema.mjs > tests/schemas/decap-cms-config.schema.json
import fs from 'node:fs';
import path from 'node:path';

const nm = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'node_modules');
const core = JSON.parse(fs.readFileSync(path.join(nm, 'decap-cms-core/package.json'), 'utf8'));
const widgetNames = fs.readdirSync(nm).filter(n => n.startsWith('decap-cms-widget-')).sort();

function evalModule(file, prelude, suffix = '') {
  let src = fs.readFileSync(file, 'utf8');
  src = src.replace(/^import[\s\S]*?from\s+'[^']+';\s*$/gm, '');
  src = src.replace(/export default /g, 'return ');
  src = src.replace(/^export (function|const|class) /gm, '$1 ');
  return new Function(prelude + src + suffix)();
}

const widgets = {};
const versions = {};
for (const pkg of widgetNames) {
  const file = path.join(nm, pkg, 'src/schema.js');
  if (!fs.existsSync(file)) continue;
  const name = pkg.slice('decap-cms-widget-'.length);
  widgets[name] = evalModule(file, '');
  versions[pkg] = JSON.parse(fs.readFileSync(path.join(nm, pkg, 'package.json'), 'utf8')).version;
}

const prelude = `
const crypto = { randomUUID: () => String(++globalThis.__bfIds) };
const I18N_STRUCTURE = { MULTIPLE_FOLDERS: 'multiple_folders', MULTIPLE_FILES: 'multiple_files', SINGLE_FILE: 'single_file' };
const I18N_FIELD = { TRANSLATE: 'translate', DUPLICATE: 'duplicate', NONE: 'none' };
const frontmatterFormats = ['yaml-frontmatter', 'toml-frontmatter', 'json-frontmatter'];
const extensionFormatters = { yml: 1, yaml: 1, toml: 1, json: 1, md: 1, markdown: 1, html: 1 };
const getWidgets = () => Object.entries(globalThis.__bfWidgets).map(([name, schema]) => ({ name, schema }));
`;
globalThis.__bfIds = 0;
globalThis.__bfWidgets = widgets;
const file = path.join(nm, 'decap-cms-core/src/constants/configSchema.js');
const built = evalModule(file, prelude, '\nreturn getConfigSchema();');

function convert(node) {
  if (Array.isArray(node)) return node.map(convert);
  if (!node || typeof node !== 'object') return node;
  // a JavaScript object (RegExp, Function) cannot be written in YAML or JSON: nothing matches
  if (node.instanceof && Object.keys(node).length === 1) return { not: {} };
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'select' || k === 'selectCases' || k === 'instanceof' || k === 'errorMessage') continue;
    if (k === 'uniqueItemProperties') continue;
    if (k === 'prohibited') {
      out.not = { anyOf: v.map(p => ({ required: [p] })) };
      continue;
    }
    out[k] = convert(v);
  }
  if (node.selectCases) {
    const cases = Object.entries(node.selectCases).sort(([a], [b]) => a.localeCompare(b));
    out.allOf = [
      ...(out.allOf || []),
      ...cases.map(([w, s]) => ({ if: { properties: { widget: { const: w } }, required: ['widget'] }, then: convert(s) })),
    ];
  }
  if (Array.isArray(node.items) && node.items.length) out.items = node.items.map(convert); // draft-07 tuple
  return out;
}

const result = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $comment: `Converted by tools/decap_config_schema.mjs from decap-cms-core ${core.version} src/constants/configSchema.js and the widget schemas (${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}); MIT licence, https://github.com/decaporg/decap-cms`,
  ...convert(built),
};
process.stdout.write(JSON.stringify(result, null, 1) + '\n');
