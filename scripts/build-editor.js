#!/usr/bin/env node
'use strict';
/**
 * Builds each node's editor file, nodes/<type>.html (what Node-RED loads beside nodes/<type>.js), from
 * src/editor/<type>.html, expanding the include lines that bring in the parts several editors share
 * (src/editor/shared/: rows, defaults and editor code written once):
 *
 *   <!-- include inference-rows.html -->    in the HTML
 *   // include model-config.js              in a script
 *
 * In a part, {{type}} becomes the including node's type (its locale keys are `<type>.label.*`). Included
 * lines take the include line's indentation. Run by `npm run build`; nodes/*.html are not committed.
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'src', 'editor');
const SHARED = path.join(SRC, 'shared');
const OUT = path.join(ROOT, 'nodes');
const INCLUDE = /^([ \t]*)(?:<!-- include (\S+) -->|\/\/ include (\S+))[ \t]*$/gm;

function expand(text, type, seen = []) {
  return text.replace(INCLUDE, (_line, indent, htmlPart, jsPart) => {
    const part = htmlPart ?? jsPart;
    if (seen.includes(part)) throw new Error(`${type}: ${[...seen, part].join(' -> ')} includes itself`);
    const file = path.join(SHARED, part);
    if (!fs.existsSync(file)) throw new Error(`${type}: no shared editor part ${path.relative(ROOT, file)}`);
    const body = expand(fs.readFileSync(file, 'utf8').replace(/\{\{type\}\}/g, type), type, [...seen, part]);
    return body
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => (l ? indent + l : l))
      .join('\n');
  });
}

for (const f of fs.readdirSync(SRC).filter((f) => f.endsWith('.html'))) {
  const html0 = fs.readFileSync(path.join(SRC, f), 'utf8');
  const type = /data-template-name="([^"]+)"/.exec(html0)?.[1] ?? path.basename(f, '.html');
  const html = expand(html0, type);
  const out = path.join(OUT, f);
  if (!fs.existsSync(out) || fs.readFileSync(out, 'utf8') !== html) fs.writeFileSync(out, html);
}
