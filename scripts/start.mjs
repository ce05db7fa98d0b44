#!/usr/bin/env node
// npm start: the desktop app, or the headless server where Electron's binary is absent (see start-lib.mjs).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from './build-lib.mjs';
import { startPlan } from './start-lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const plan = startPlan(root);
if (plan.message) console.log(plan.message);
// the desktop app loads out/ (the headless entry, scripts/built.mjs, builds for itself)
if (plan.mode === 'electron') {
  try {
    ensureBuilt(root, (line) => console.error(line));
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
const child = spawn(plan.command, [...plan.args, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
