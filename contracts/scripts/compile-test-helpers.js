#!/usr/bin/env node
// Compiles the Solidity test helpers in contracts/test/ with the pinned solc-js (offline: the
// compiler is the npm package itself) into one JSON file:
//
//   { "solc": "<version>", "evmVersion": "...", "inputHash": "<sha256>",
//     "contracts": { "<Name>": { "abi": [...], "bytecode": "0x...", "deployedBytecode": "0x..." } } }
//
// A helper may import ZippiFi's own sources ("../src/ZippiVault.sol", resolved against contracts/)
// and OpenZeppelin's (from node_modules). inputHash covers the solc package version, this script
// (so its settings), every test source and every file under src/, so a caller can tell a stale
// build from a fresh one cheaply: `--print-hash` prints it without loading
// the compiler (tests/uniswap/artifacts.py does that). The output directory is a build cache, and
// gets its own .gitignore (`*`), so nothing built is committed.
//
// Usage: node scripts/compile-test-helpers.js [--out build/test-helpers.json] [--print-hash]
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const SRC_DIR = path.join(ROOT, "test");
const SETTINGS = {
  evmVersion: "cancun",
  optimizer: { enabled: true, runs: 200 },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};

function parseArgs(argv) {
  const args = { out: path.join(ROOT, "build", "test-helpers.json"), printHash: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") args.out = path.resolve(argv[++i]);
    else if (argv[i] === "--print-hash") args.printHash = true;
    else throw new Error(`unknown argument ${argv[i]}`);
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

// contracts/src, which helpers may import: part of the hash, compiled only when imported
function ourSources() {
  const sources = {};
  for (const file of listSol(path.join(ROOT, "src"))) {
    sources[path.relative(ROOT, file).split(path.sep).join("/")] = fs.readFileSync(file, "utf8");
  }
  return sources;
}

function findImports(importPath) {
  const file = importPath.startsWith("@") ? path.join(ROOT, "node_modules", importPath) : path.join(ROOT, importPath);
  if (!fs.existsSync(file)) return { error: `import ${importPath}: not found` };
  return { contents: fs.readFileSync(file, "utf8") };
}

function readSources() {
  const names = fs.readdirSync(SRC_DIR).filter((f) => f.endsWith(".sol")).sort();
  if (names.length === 0) throw new Error(`no .sol files in ${SRC_DIR}`);
  const sources = {};
  for (const name of names) sources[`test/${name}`] = { content: fs.readFileSync(path.join(SRC_DIR, name), "utf8") };
  return sources;
}

// sha256 over: the solc package version, this script, then each "path\0content\0" in path order.
function inputHash(sources) {
  const h = crypto.createHash("sha256");
  h.update(`${require("solc/package.json").version}\0${fs.readFileSync(__filename, "utf8")}\0`);
  for (const key of Object.keys(sources).sort()) h.update(`${key}\0${sources[key].content}\0`);
  const ours = ourSources();
  for (const key of Object.keys(ours).sort()) h.update(`${key}\0${ours[key]}\0`);
  return h.digest("hex");
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const sources = readSources();
  const hash = inputHash(sources);
  if (args.printHash) {
    process.stdout.write(`${hash}\n`);
    return;
  }
  const solc = require("solc"); // loads the compiler (a few seconds)
  const version = solc.version();
  const input = { language: "Solidity", sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) {
    // warnings in imported sources (ours are compiled and checked by compile.js) are not shown
    if (e.severity === "error" || (e.sourceLocation && e.sourceLocation.file.startsWith("test/"))) {
      process.stderr.write(`${e.formattedMessage || e.message}\n`);
    }
  }
  if (errors.length > 0) process.exit(1);

  const contracts = {};
  for (const file of Object.keys(output.contracts).sort()) {
    if (!file.startsWith("test/")) continue; // imported sources are not helpers
    for (const [name, c] of Object.entries(output.contracts[file])) {
      if (!c.evm.bytecode.object) continue; // interfaces
      if (contracts[name]) throw new Error(`duplicate contract name ${name}`);
      contracts[name] = {
        source: file,
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      };
    }
  }
  const result = { solc: version, evmVersion: SETTINGS.evmVersion, inputHash: hash, contracts };
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  const ignore = path.join(path.dirname(args.out), ".gitignore");
  if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, "# build cache, written by scripts/compile-test-helpers.js\n*\n");
  const tmp = `${args.out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(result, null, 1)}\n`);
  fs.renameSync(tmp, args.out); // atomic: a concurrent reader sees the old or the new file
  process.stdout.write(`compiled ${Object.keys(contracts).join(", ")} with solc ${version} -> ${path.relative(process.cwd(), args.out)}\n`);
}

main();
