#!/usr/bin/env node
// Compiles the Solidity test helpers in contracts/test/ with the pinned solc-js (offline: the
// compiler is the npm package itself) into one JSON file:
//
//   { "solc": "<version>", "evmVersion": "...", "inputHash": "<sha256>",
//     "contracts": { "<Name>": { "abi": [...], "bytecode": "0x...", "deployedBytecode": "0x..." } } }
//
// A helper may import ZippiFi's own sources ("../src/ZippiVault.sol", resolved against contracts/)
// and OpenZeppelin's (from node_modules). Third-party contracts the tests deploy as references
// (NPM_CONTRACTS: Chainlink's proxy and mock aggregator) are compiled from their npm sources as
// published, each group with the solc its pragma pins (an npm alias such as solc-0.8.26), into the
// same "contracts" map. inputHash covers the solc package versions, this script (so its settings),
// every test source, every file under src/ and the npm packages' versions, so a caller can tell a
// stale build from a fresh one cheaply: `--print-hash` prints it without loading
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

// npm sources compiled unchanged, grouped by the solc package (alias) their pragma needs; only the
// listed files' contracts are kept (not what they import).
const NPM_CONTRACTS = [
  {
    solc: "solc-0.8.26", // DataFeedsLegacyAggregatorProxy pins `pragma solidity 0.8.26`
    packages: ["@chainlink/contracts"],
    sources: [
      // the legacy AggregatorProxy: phases, proposeAggregator/confirmAggregator, phase-encoded ids
      "@chainlink/contracts/src/v0.8/data-feeds/test/helpers/DataFeedsLegacyAggregatorProxy.sol",
      "@chainlink/contracts/src/v0.8/shared/mocks/MockV3Aggregator.sol",
    ],
  },
];

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

function packageVersion(name) {
  const manifest = path.join(ROOT, "node_modules", name, "package.json");
  if (!fs.existsSync(manifest)) throw new Error(`${name} is not installed: run npm ci --prefix contracts`);
  return JSON.parse(fs.readFileSync(manifest, "utf8")).version;
}

// sha256 over: the solc package version, this script, then each "path\0content\0" in path order,
// then each npm group's solc and package versions (their sources are fixed by those versions).
function inputHash(sources) {
  const h = crypto.createHash("sha256");
  h.update(`${require("solc/package.json").version}\0${fs.readFileSync(__filename, "utf8")}\0`);
  for (const key of Object.keys(sources).sort()) h.update(`${key}\0${sources[key].content}\0`);
  const ours = ourSources();
  for (const key of Object.keys(ours).sort()) h.update(`${key}\0${ours[key]}\0`);
  for (const group of NPM_CONTRACTS) {
    for (const name of [group.solc, ...group.packages]) h.update(`${name}\0${packageVersion(name)}\0`);
  }
  return h.digest("hex");
}

// Compiles `sources` with `solc`; prints errors (and warnings in files `showWarnings` accepts),
// exits on an error, and returns solc's output.
function compile(solc, sources, showWarnings) {
  const input = { language: "Solidity", sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) {
    if (e.severity === "error" || (e.sourceLocation && showWarnings(e.sourceLocation.file))) {
      process.stderr.write(`${e.formattedMessage || e.message}\n`);
    }
  }
  if (errors.length > 0) process.exit(1);
  return output;
}

function collect(contracts, output, keep) {
  for (const file of Object.keys(output.contracts).sort()) {
    if (!keep(file)) continue;
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
  // warnings in imported sources (ours are compiled and checked by compile.js) are not shown
  const output = compile(solc, sources, (file) => file.startsWith("test/"));
  const contracts = {};
  collect(contracts, output, (file) => file.startsWith("test/")); // imported sources are not helpers
  const npmCompilers = {};
  for (const group of NPM_CONTRACTS) {
    const groupSolc = require(group.solc);
    npmCompilers[group.solc] = groupSolc.version();
    const groupSources = {};
    for (const file of group.sources) {
      const found = findImports(file);
      if (found.error) throw new Error(found.error);
      groupSources[file] = { content: found.contents };
    }
    const groupOutput = compile(groupSolc, groupSources, () => false); // published code: errors only
    collect(contracts, groupOutput, (file) => group.sources.includes(file));
  }
  const result = { solc: version, npmCompilers, evmVersion: SETTINGS.evmVersion, inputHash: hash, contracts };
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  const ignore = path.join(path.dirname(args.out), ".gitignore");
  if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, "# build cache, written by scripts/compile-test-helpers.js\n*\n");
  const tmp = `${args.out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(result, null, 1)}\n`);
  fs.renameSync(tmp, args.out); // atomic: a concurrent reader sees the old or the new file
  const npmSolc = Object.entries(npmCompilers).map(([alias, v]) => `, npm sources with ${alias} ${v}`).join("");
  process.stdout.write(`compiled ${Object.keys(contracts).join(", ")} with solc ${version}${npmSolc} -> ${path.relative(process.cwd(), args.out)}\n`);
}

main();
