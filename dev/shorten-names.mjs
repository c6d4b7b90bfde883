// Shortens the names between the widget's wasm and its wasm-bindgen glue, in both files.
// wasm-bindgen names the ~120 functions that cross between them like
// `__wbg_getRandomValues_1c61fac11405ffdc`: about 5 KB in each file, hashes included, which
// compression can do little with. The build stops if the glue does not use a name as expected, so a wasm-bindgen upgrade that
// changes its glue fails loudly instead of loading a broken widget.
//
// usage: node dev/shorten-names.mjs module_bg.wasm glue.js   (both rewritten in place)
import { readFileSync, writeFileSync } from 'node:fs';

const [wasmPath, gluePath] = process.argv.slice(2);
const wasm = readFileSync(wasmPath);
let glue = readFileSync(gluePath, 'utf8');

function readU32(at) {
  let value = 0, shift = 0, byte;
  do {
    byte = wasm[at++];
    value |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return [value >>> 0, at];
}
function u32(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return Buffer.from(out);
}
function readName(at) {
  const [len, start] = readU32(at);
  return [wasm.subarray(start, start + len).toString('utf8'), start + len];
}
function name(s) {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([u32(bytes.length), bytes]);
}
// After an import's name: its kind and what describes it (see the wasm binary format).
function skipImportDescription(at) {
  const kind = wasm[at++];
  const limits = (p) => {
    const flags = wasm[p++];
    [, p] = readU32(p);
    if (flags & 1) [, p] = readU32(p);
    return p;
  };
  if (kind === 0) return readU32(at)[1];
  if (kind === 1) return limits(at + 1);
  if (kind === 2) return limits(at);
  if (kind === 3) return at + 2;
  if (kind === 4) return readU32(at + 1)[1];
  throw new Error(`unknown import kind ${kind}`);
}

// The module's sections; the import (2) and export (7) sections as lists of entries.
const sections = [];
for (let at = 8; at < wasm.length; ) {
  const id = wasm[at];
  const [size, start] = readU32(at + 1);
  const end = start + size;
  const section = { id, bytes: wasm.subarray(at, end) };
  if (id === 2 || id === 7) {
    let [count, p] = readU32(start);
    section.entries = [];
    for (let i = 0; i < count; i++) {
      let module, field;
      if (id === 2) [module, p] = readName(p);
      [field, p] = readName(p);
      const rest = id === 2 ? skipImportDescription(p) : readU32(p + 1)[1];
      section.entries.push({ module, field, description: wasm.subarray(p, rest) });
      p = rest;
    }
  }
  sections.push(section);
  at = end;
}
const entries = (id) => sections.find((s) => s.id === id)?.entries ?? [];

// a..z, A..Z, then a letter and a number: never a JavaScript keyword.
const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const shortNames = (names) =>
  new Map([...new Set(names)].map((n, i) => [n, i < 52 ? letters[i] : letters[i % 52] + Math.floor(i / 52)]));
const escape = (names) => [...names.keys()].map((n) => n.replace(/\$/g, '\\$')).join('|');

// The glue reads exports as `wasm.<name>` and defines each import once, as a key of its
// imports object.
const read = new Set([...glue.matchAll(/\bwasm\.([\w$]+)/g)].map((m) => m[1]));
if (/\bwasm\[/.test(glue)) throw new Error('the glue reads wasm[…]');
const exports = shortNames(entries(7).map((e) => e.field));
for (const used of read) {
  if (!exports.has(used)) throw new Error(`the glue reads wasm.${used}, which the module does not export`);
}
const imports = shortNames(entries(2).map((e) => e.field));
const defined = new Map();
glue = glue.replace(new RegExp(`\\bwasm\\.(${escape(exports)})\\b|\\b(${escape(imports)})(?=:)`, 'g'),
  (_, exported, imported) => {
    if (exported) return `wasm.${exports.get(exported)}`;
    defined.set(imported, (defined.get(imported) || 0) + 1);
    return imports.get(imported);
  });
for (const field of imports.keys()) {
  if (defined.get(field) !== 1) throw new Error(`the glue does not define import ${field} once`);
}

const out = [wasm.subarray(0, 8)];
for (const section of sections) {
  if (!section.entries) {
    out.push(section.bytes);
    continue;
  }
  const body = Buffer.concat([
    u32(section.entries.length),
    ...section.entries.flatMap((e) =>
      section.id === 2
        ? [name(e.module), name(imports.get(e.field)), e.description]
        : [name(exports.get(e.field)), e.description]),
  ]);
  out.push(Buffer.from([section.id]), u32(body.length), body);
}
writeFileSync(wasmPath, Buffer.concat(out));
writeFileSync(gluePath, glue);
