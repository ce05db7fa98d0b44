import path from 'node:path';
import { app } from 'electron';
import { createRuntime, defaultDataDir } from '../core/runtime';
import { startDesktop } from './app';

// the bundle sits in out/main; preload and renderer beside it, icons in build/ (resources/ when packaged)
const here = __dirname;
startDesktop({
  dataDir: process.env.SWITCHYARD_DATA_DIR || defaultDataDir(),
  rendererDir: path.join(here, '..', 'renderer'),
  preload: path.join(here, '..', 'preload', 'index.cjs'),
  iconDir: app.isPackaged ? path.join(process.resourcesPath, 'icons') : path.join(here, '..', '..', 'build', 'icons'),
  isDev: !app.isPackaged,
  createRuntime,
});
