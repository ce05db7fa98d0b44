#!/usr/bin/env node
// npm start: the desktop app, or the headless server where Electron's binary is absent (see start-lib.mjs).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from './build-lib.mjs';
import { startPlan } from './start-lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let args = process.argv.slice(2);
const env = { ...process.env };
const wantsHelp = args.includes('--help') || args.includes('-h');
const plan = wantsHelp ? startPlan(root, () => false) : startPlan(root);
if (plan.message && !wantsHelp) console.log(plan.message);
if (plan.mode === 'electron') {
  // the desktop app takes its data directory from SWITCHYARD_DATA_DIR; its API port is picked by the app itself
  const i = args.indexOf('--data-dir');
  if (i >= 0 && args[i + 1]) {
    env.SWITCHYARD_DATA_DIR = path.resolve(args[i + 1]);
    args = [...args.slice(0, i), ...args.slice(i + 2)];
  }
}
// the desktop app loads out/ (the headless entry, scripts/built.mjs, builds for itself)
if (plan.mode === 'electron') {
  try {
    ensureBuilt(root, (line) => console.error(line));
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
const child = spawn(plan.command, [...plan.args, ...args], { cwd: root, stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
