#!/usr/bin/env node
// Compiles ZippiFi's contracts (contracts/src/**/*.sol, OpenZeppelin imports resolved from
// node_modules) with the pinned solc-js, offline, and writes one artifact per deployable contract:
//
//   python/zippifi/chain/artifacts/<Name>.json
//     { "contractName", "sourceName", "compiler": { "solc", "evmVersion", "optimizer" },
//       "abi": [...], "bytecode": "0x...", "deployedBytecode": "0x..." }
//
// The artifacts are committed, so the Python wheel needs no Node. `--check` compiles into memory
// and compares with the committed files: it exits 1 naming every file that is missing, extra or
// different (and which fields differ), so CI fails when the sources and the artifacts disagree.
//
// Upgradeable contracts (UPGRADEABLE) also have their storage layout committed in
// contracts/layout/<Name>.json (scripts/storage-layout.js): a build whose layout moves, retypes
// or drops a committed variable fails; one that only appends updates the file (and `--check`
// fails until that update is committed).
//
// Usage: node scripts/compile.js [--check] [--out DIR]
"use strict";

const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const SRC_DIR = path.join(ROOT, "src");
const NODE_MODULES = path.join(ROOT, "node_modules");
const DEFAULT_OUT = path.resolve(ROOT, "..", "python", "zippifi", "chain", "artifacts");
// contracts deployed behind a proxy: their storage layout is checked across versions
const UPGRADEABLE = ["ZippiVault"];
const SETTINGS = {
  evmVersion: "cancun",
  optimizer: { enabled: true, runs: 200 },
  // the metadata hash covers source texts, so any edit (even a comment) changes the bytecode and
  // `--check` catches artifacts that were not rebuilt
  outputSelection: { "*": { "": ["ast"], "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "storageLayout"] } },
};

function parseArgs(argv) {
  const args = { out: DEFAULT_OUT, check: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") args.out = path.resolve(argv[++i]);
    else if (argv[i] === "--check") args.check = true;
    else throw new Error(`unknown argument ${argv[i]} (usage: compile.js [--check] [--out DIR])`);
  }
  return args;
}

function listSol(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSol(full));
    else if (entry.name.endsWith(".sol")) out.push(full);
  }
  return out;
}

function readSources() {
  const files = listSol(SRC_DIR);
  if (files.length === 0) throw new Error(`no .sol files under ${SRC_DIR}`);
  const sources = {};
  // source unit names are relative ("src/ZippiVault.sol"), so the bytecode's metadata hash does
  // not depend on where the checkout lives
  for (const file of files) sources[path.relative(ROOT, file).split(path.sep).join("/")] = { content: fs.readFileSync(file, "utf8") };
  return sources;
}

// Imports of npm packages ("@openzeppelin/contracts/...") come from contracts/node_modules only.
function findImports(importPath) {
  if (!importPath.startsWith("@")) return { error: `import ${importPath}: only npm packages (@scope/...) are resolved` };
  const file = path.join(NODE_MODULES, importPath);
  if (!file.startsWith(NODE_MODULES + path.sep) || !fs.existsSync(file)) {
    return { error: `import ${importPath}: not found under ${NODE_MODULES} (run npm ci --prefix contracts)` };
  }
  return { contents: fs.readFileSync(file, "utf8") };
}

function contractKinds(ast) {
  const kinds = {};
  for (const node of ast.nodes) if (node.nodeType === "ContractDefinition") kinds[node.name] = node.contractKind;
  return kinds;
}

function compile() {
  const solc = require("solc"); // loads the compiler (a few seconds)
  const input = { language: "Solidity", sources: readSources(), settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const problems = output.errors || [];
  // warnings in OpenZeppelin's sources are theirs to fix; ours and every error are shown
  const shown = problems.filter((e) => e.severity === "error" || !(e.sourceLocation && e.sourceLocation.file.startsWith("@")));
  for (const e of shown) process.stderr.write(`${e.formattedMessage || e.message}\n`);
  if (problems.some((e) => e.severity === "error")) process.exit(1);

  const artifacts = {};
  const layouts = {};
  for (const source of Object.keys(output.contracts).sort()) {
    if (!source.startsWith("src/")) continue; // OpenZeppelin's own contracts are not ours to ship
    const kinds = contractKinds(output.sources[source].ast);
    for (const [name, c] of Object.entries(output.contracts[source])) {
      // interfaces and abstract contracts have no bytecode; libraries are linked into (internal
      // functions) or deployed with the contracts that use them, and their errors are in their ABIs
      if (!c.evm.bytecode.object || kinds[name] !== "contract") continue;
      if (artifacts[name]) throw new Error(`contract name ${name} is defined twice (${artifacts[name].sourceName}, ${source})`);
      if (UPGRADEABLE.includes(name)) layouts[name] = c.storageLayout;
      artifacts[name] = {
        contractName: name,
        sourceName: source,
        compiler: { solc: solc.version(), evmVersion: SETTINGS.evmVersion, optimizer: SETTINGS.optimizer },
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      };
    }
  }
  const files = {};
  for (const name of Object.keys(artifacts).sort()) files[`${name}.json`] = `${JSON.stringify(artifacts[name], null, 1)}\n`;
  return { files, layouts };
}

// Each upgradeable contract's layout against the committed one: fails on a break; in check
// mode also on a missing or stale file; otherwise writes the (compatible) new layout.
function checkLayouts(layouts, checkOnly) {
  const storage = require("./storage-layout.js");
  const lines = [];
  for (const name of UPGRADEABLE) {
    if (!layouts[name]) throw new Error(`${name} is listed as upgradeable but was not compiled`);
    const file = path.join(storage.LAYOUT_DIR, `${name}.json`);
    const result = storage.checkAgainstCommitted(name, layouts[name], file);
    const rel = path.relative(process.cwd(), file);
    if (result === null) {
      if (checkOnly) lines.push(`missing   ${rel} (the committed storage layout of ${name})`);
      else {
        fs.mkdirSync(storage.LAYOUT_DIR, { recursive: true });
        fs.writeFileSync(file, storage.layoutText(storage.canonicalLayout(name, layouts[name])));
        process.stdout.write(`wrote the storage layout of ${name} -> ${rel}\n`);
      }
    } else if (result.problems.length) {
      lines.push(`breaks    ${rel}: a later version must not move, retype or remove earlier state:\n    ${result.problems.join("\n    ")}`);
    } else if (result.stale) {
      if (checkOnly) lines.push(`stale     ${rel} (${name} appended state: rebuild with \`make contracts\` and commit it)`);
      else {
        fs.writeFileSync(file, result.text);
        process.stdout.write(`appended to the storage layout of ${name} -> ${rel}\n`);
      }
    }
  }
  if (lines.length) {
    process.stderr.write(`storage layouts do not match contracts/src:\n  ${lines.join("\n  ")}\n`);
    process.exit(1);
  }
}

function committedArtifacts(dir) {
  if (!fs.existsSync(dir)) return {};
  const files = {};
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) files[f] = fs.readFileSync(path.join(dir, f), "utf8");
  return files;
}

function differingFields(committed, built) {
  let old;
  try {
    old = JSON.parse(committed);
  } catch (e) {
    return ["(not valid JSON)"];
  }
  const now = JSON.parse(built);
  const keys = [...new Set([...Object.keys(old), ...Object.keys(now)])].sort();
  return keys.filter((k) => JSON.stringify(old[k]) !== JSON.stringify(now[k]));
}

function check(dir, built) {
  const committed = committedArtifacts(dir);
  const lines = [];
  for (const f of Object.keys(built)) {
    if (!(f in committed)) lines.push(`missing   ${f} (a contract in src/ has no committed artifact)`);
    else if (committed[f] !== built[f]) lines.push(`differs   ${f}: ${differingFields(committed[f], built[f]).join(", ") || "formatting"}`);
  }
  for (const f of Object.keys(committed)) if (!(f in built)) lines.push(`extra     ${f} (no contract of that name in src/)`);
  const rel = path.relative(process.cwd(), dir) || ".";
  if (lines.length > 0) {
    process.stderr.write(`committed artifacts in ${rel} do not match contracts/src:\n  ${lines.join("\n  ")}\n`);
    process.stderr.write("rebuild them with `make contracts` and commit the result\n");
    process.exit(1);
  }
  process.stdout.write(`${Object.keys(built).length} artifacts in ${rel} match contracts/src\n`);
}

function write(dir, built) {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of Object.keys(committedArtifacts(dir))) if (!(f in built)) fs.unlinkSync(path.join(dir, f));
  for (const [f, text] of Object.entries(built)) {
    const target = path.join(dir, f);
    if (fs.existsSync(target) && fs.readFileSync(target, "utf8") === text) continue;
    const tmp = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, target); // a concurrent reader sees the old or the new file, never half
  }
  process.stdout.write(`wrote ${Object.keys(built).map((f) => f.replace(/\.json$/, "")).join(", ")} -> ${path.relative(process.cwd(), dir)}\n`);
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const { files, layouts } = compile();
  checkLayouts(layouts, args.check);
  if (args.check) check(args.out, files);
  else write(args.out, files);
}

module.exports = { SETTINGS };

if (require.main === module) main();
