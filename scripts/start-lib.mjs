// How `npm start` runs Switchyard: the desktop app when Electron's binary is installed, else the headless
// server on the same data directory with the built renderer (one line says so). Plain JS: runs before any build.
import fs from 'node:fs';
import path from 'node:path';
import { NODE_FLAGS } from './node-flags.mjs';

/** The Electron binary of node_modules/electron, or null when it was never downloaded. */
export function electronBinary(root, exists = fs.existsSync, read = (f) => fs.readFileSync(f, 'utf8')) {
  const pkg = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(pkg, 'path.txt');
  if (!exists(pathFile)) return null;
  const binary = path.join(pkg, 'dist', read(pathFile).trim());
  return exists(binary) ? binary : null;
}

/** What to run. `needsBuild`: out/ is missing a part the desktop app loads (the headless entry builds for itself). */
export function startPlan(root, exists = fs.existsSync, read) {
  const binary = electronBinary(root, exists, read);
  if (binary) {
    const rendererBuilt = exists(path.join(root, 'out', 'renderer', 'index.html'));
    const mainBuilt = exists(path.join(root, 'out', 'main', 'index.js')) && exists(path.join(root, 'out', 'preload', 'index.cjs'));
    // Electron's main process takes V8 options as --js-flags on its command line
    return { mode: 'electron', binary, needsBuild: !(mainBuilt && rendererBuilt), command: binary, args: [`--js-flags=${NODE_FLAGS.join(' ')}`, path.join(root, 'out', 'main', 'index.js')] };
  }
  return {
    mode: 'headless',
    needsBuild: false,
    message: "Electron's binary is not installed here, so Switchyard starts as a headless server: open the URL it prints in a browser.",
    command: process.execPath,
    args: [...NODE_FLAGS, path.join(root, 'scripts', 'built.mjs'), 'serve', '--auto'],
  };
}
