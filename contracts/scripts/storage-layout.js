#!/usr/bin/env node
// The storage layout of an upgradeable contract, checked against the one committed in
// contracts/layout/<Name>.json, so that a later version cannot move what an earlier one stored.
//
// A proxy keeps its storage across upgrades: version N+1 must read every variable of version N
// at the same slot, offset and type. The rule checked here:
//
//   - every committed state variable is still there, in the same order, with the same name,
//     slot, offset and type;
//   - a type is the same when its label, encoding and size are, recursively (mapping keys and
//     values, array bases, struct members with their slots and offsets); a struct that is a
//     mapping's value may gain members at its end (each value has its own slots), nowhere else;
//   - new variables may follow the last committed one (appending is fine).
//
// Types are compared by what solc's storageLayout says of them, with the AST ids solc puts in
// its type names dropped, so an unrelated edit does not look like a change.
//
// compile.js uses this module: `make contracts` updates a committed layout when the new one only
// appends, and fails otherwise; `make contracts-check` fails when the committed layout is not the
// current one or the sources break it. As a command, it compiles one contract from any copy of
// the sources and checks it (tests/contracts/test_storage_layout.py runs it on altered copies):
//
//   node scripts/storage-layout.js [--root DIR] [--source src/ZippiVault.sol] [--contract ZippiVault]
//                                  [--layout FILE] [--write]
"use strict";

const fs = require("fs");
const path = require("path");

const CONTRACTS = path.resolve(__dirname, "..");
const NODE_MODULES = path.join(CONTRACTS, "node_modules");
const LAYOUT_DIR = path.join(CONTRACTS, "layout");

// The canonical form of a type: what matters for where data lives, without AST ids.
function canonicalType(types, id) {
  const t = types[id];
  if (!t) throw new Error(`storage layout names an unknown type ${id}`);
  const out = { label: t.label.replace(/\s+/g, " "), encoding: t.encoding, numberOfBytes: t.numberOfBytes };
  if (t.key) out.key = canonicalType(types, t.key);
  if (t.value) out.value = canonicalType(types, t.value);
  if (t.base) out.base = canonicalType(types, t.base);
  if (t.members) out.members = t.members.map((m) => canonicalVar(types, m));
  return out;
}

function canonicalVar(types, v) {
  return { label: v.label, slot: v.slot, offset: v.offset, type: canonicalType(types, v.type) };
}

// solc's storageLayout output -> { contract, storage: [canonical vars] }
function canonicalLayout(contractName, storageLayout) {
  const types = storageLayout.types || {};
  return { contract: contractName, storage: storageLayout.storage.map((v) => canonicalVar(types, v)) };
}

function sameType(old, now, where, growable, problems) {
  for (const k of ["label", "encoding"]) {
    if (old[k] !== now[k]) {
      problems.push(`${where}: type ${k} was ${JSON.stringify(old[k])}, is ${JSON.stringify(now[k])}`);
      return;
    }
  }
  if (old.members) {
    if (now.members.length < old.members.length) problems.push(`${where}: struct lost members`);
    old.members.forEach((m, i) => sameVar(m, now.members[i], `${where}.${m.label}`, false, problems));
    if (!growable && old.numberOfBytes !== now.numberOfBytes) {
      problems.push(`${where}: struct size was ${old.numberOfBytes} bytes, is ${now.numberOfBytes} (it may grow only as a mapping's value)`);
    }
  } else if (old.numberOfBytes !== now.numberOfBytes) {
    problems.push(`${where}: type size was ${old.numberOfBytes} bytes, is ${now.numberOfBytes}`);
  }
  if (old.key) sameType(old.key, now.key, `${where}[key]`, false, problems);
  if (old.value) sameType(old.value, now.value, `${where}[value]`, old.encoding === "mapping", problems);
  if (old.base) sameType(old.base, now.base, `${where}[]`, false, problems);
}

function sameVar(old, now, where, growable, problems) {
  if (!now) {
    problems.push(`${where}: removed or renamed (was slot ${old.slot}, offset ${old.offset})`);
    return;
  }
  if (old.label !== now.label) problems.push(`${where}: renamed: ${old.label} is now ${now.label}`);
  if (old.slot !== now.slot || old.offset !== now.offset) {
    problems.push(`${where}: moved from slot ${old.slot} offset ${old.offset} to slot ${now.slot} offset ${now.offset}`);
  }
  sameType(old.type, now.type, where, growable, problems);
}

// Problems (strings) that keep `built` from being an upgrade of `committed`; [] if it is one.
// Top-level variables are matched by name (so a move reads as one), and must keep their order.
function compareLayouts(committed, built) {
  const problems = [];
  const byLabel = new Map(built.storage.map((v, i) => [v.label, i]));
  let last = -1;
  committed.storage.forEach((v) => {
    const i = byLabel.has(v.label) ? byLabel.get(v.label) : -1;
    sameVar(v, i >= 0 ? built.storage[i] : undefined, `${committed.contract}.${v.label}`, false, problems);
    if (i >= 0 && i < last) problems.push(`${committed.contract}.${v.label}: now declared before a variable it followed`);
    if (i >= 0) last = i;
  });
  if (!problems.length && built.storage.length > committed.storage.length) {
    // what is new must come after everything committed
    const lastOld = committed.storage.length - 1;
    built.storage.slice(0, committed.storage.length).forEach((v, i) => {
      if (v.label !== committed.storage[i].label) problems.push(`${built.contract}.${v.label}: new variables may only be appended (after ${committed.storage[lastOld].label})`);
    });
  }
  return problems;
}

function layoutText(layout) {
  return `${JSON.stringify(layout, null, 1)}\n`;
}

function layoutFile(contractName) {
  return path.join(LAYOUT_DIR, `${contractName}.json`);
}

// For compile.js: { problems, stale, text } of a contract that has a committed layout, else null.
function checkAgainstCommitted(contractName, storageLayout, file = layoutFile(contractName)) {
  if (!fs.existsSync(file)) return null;
  const committedText = fs.readFileSync(file, "utf8");
  const built = canonicalLayout(contractName, storageLayout);
  const text = layoutText(built);
  return { problems: compareLayouts(JSON.parse(committedText), built), stale: committedText !== text, text, file };
}

function compileOne(root, source, contractName) {
  const solc = require("solc");
  const SETTINGS = require("./compile.js").SETTINGS;
  const input = {
    language: "Solidity",
    sources: { [source]: { content: fs.readFileSync(path.join(root, source), "utf8") } },
    settings: { ...SETTINGS, outputSelection: { [source]: { [contractName]: ["storageLayout"] } } },
  };
  const findImports = (p) => {
    const file = p.startsWith("@") ? path.join(NODE_MODULES, p) : path.join(root, p);
    return fs.existsSync(file) ? { contents: fs.readFileSync(file, "utf8") } : { error: `${p} not found` };
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  return output.contracts[source][contractName].storageLayout;
}

function main() {
  const args = { root: CONTRACTS, source: "src/ZippiVault.sol", contract: "ZippiVault", layout: null, write: false };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--root") args.root = path.resolve(argv[++i]);
    else if (argv[i] === "--source") args.source = argv[++i];
    else if (argv[i] === "--contract") args.contract = argv[++i];
    else if (argv[i] === "--layout") args.layout = path.resolve(argv[++i]);
    else if (argv[i] === "--write") args.write = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  const file = args.layout || layoutFile(args.contract);
  const storageLayout = compileOne(args.root, args.source, args.contract);
  const built = canonicalLayout(args.contract, storageLayout);
  if (!fs.existsSync(file)) {
    if (!args.write) throw new Error(`no committed layout at ${file} (--write creates it)`);
  } else {
    const problems = compareLayouts(JSON.parse(fs.readFileSync(file, "utf8")), built);
    if (problems.length) {
      process.stderr.write(`storage layout of ${args.contract} breaks ${path.relative(process.cwd(), file)}:\n  ${problems.join("\n  ")}\n`);
      process.exit(1);
    }
  }
  if (args.write) fs.writeFileSync(file, layoutText(built));
  process.stdout.write(`storage layout of ${args.contract} (${built.storage.length} variables) keeps ${path.relative(process.cwd(), file)}\n`);
}

module.exports = { canonicalLayout, compareLayouts, checkAgainstCommitted, layoutText, LAYOUT_DIR };

if (require.main === module) main();
