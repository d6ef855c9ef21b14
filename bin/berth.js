#!/usr/bin/env node
// Runs the bundled CLI (dist/bundle/cli.cjs) through V8's code cache: compiling the
// bundle on every start would cost a container start more than the container does.
// The cache is written beside the bundle after the first run (or when V8 refuses it,
// as after a Node upgrade); where that dir is read-only, berth just runs without it.
// This file is CommonJS (bin/package.json): Node starts a CommonJS entry faster than
// an ES module one.
'use strict';
const { readFileSync, renameSync, unlinkSync, writeFileSync } = require('node:fs');
const { Module } = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

const file = path.join(__dirname, '..', 'dist', 'bundle', 'cli.cjs');
const cacheFile = `${file}.cache`;

function readCache() {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

function writeCache(script) {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, cacheFile);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
  }
}

const cachedData = readCache();
// The bundle must not use import() of a module it does not contain: a script from a code
// cache has no loader for it on Node 20. Builtins needed late are require()d instead.
const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
const mod = { exports: {} };
script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, path.dirname(file));

mod.exports
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`berth: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 125;
    },
  )
  .finally(() => {
    // Made after the run, the cache holds the functions this run compiled too.
    if (cachedData === undefined || script.cachedDataRejected) writeCache(script);
  });
