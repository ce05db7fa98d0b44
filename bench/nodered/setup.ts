/**
 * Installs the benchmark's peer, Node-RED 4.1 with node-red-contrib-modbus, into a directory outside the project
 * (never into its package.json): `npx tsx bench/nodered/setup.ts [DIR]`, or SWITCHYARD_NODERED_DIR; by default
 * ~/.cache/switchyard-bench/nodered. Idempotent: an installation that is already there is left as it is.
 *
 * Node-RED 4.1 runs on Node 20 (5.x needs Node 22), and so does node-red-contrib-modbus 5.45 (5.60 needs 22).
 * node-red-contrib-modbus takes its Modbus library, a fork of modbus-serial, from a tarball outside the npm
 * registry; an npm `override` in the directory's package.json puts modbus-serial from the registry in its place,
 * at the version Switchyard itself uses, so both sides of the comparison speak Modbus through the same library.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../../test/support/process';

export const NODE_RED_SPEC = '~4.1.8';
export const CONTRIB_MODBUS_SPEC = '5.45.2';
/** The name under which node-red-contrib-modbus requires its Modbus library. */
const FORK_NAME = '@openp4nr/modbus-serial';

export function noderedDir(): string {
  return process.env.SWITCHYARD_NODERED_DIR || path.join(os.homedir(), '.cache', 'switchyard-bench', 'nodered');
}

/** The modbus-serial version Switchyard runs with (installed), else the range its package.json asks for. */
function modbusSerialSpec(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'modbus-serial', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    return pkg.dependencies['modbus-serial'];
  }
}

function readVersion(file: string): { name?: string; version?: string } | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
  } catch {
    return null;
  }
}

export interface NodeRedInstall {
  dir: string;
  /** Node-RED's entry script */
  red: string;
  nodeRed: string;
  contribModbus: string;
  /** what node-red-contrib-modbus loads as its Modbus library: must be modbus-serial from the registry */
  modbusLibrary: string;
}

/** The installation in `dir`, or null when it is missing or incomplete. */
export function installedNodeRed(dir = noderedDir()): NodeRedInstall | null {
  const nm = path.join(dir, 'node_modules');
  const red = readVersion(path.join(nm, 'node-red', 'package.json'));
  const contrib = readVersion(path.join(nm, 'node-red-contrib-modbus', 'package.json'));
  const lib = readVersion(path.join(nm, ...FORK_NAME.split('/'), 'package.json'));
  if (!red?.version?.startsWith('4.1.') || !contrib?.version || lib?.name !== 'modbus-serial') return null;
  return { dir, red: path.join(nm, 'node-red', 'red.js'), nodeRed: red.version, contribModbus: contrib.version, modbusLibrary: `${lib.name}@${lib.version}` };
}

/** Installs Node-RED and node-red-contrib-modbus into `dir` unless they are there already. */
export function installNodeRed(dir = noderedDir(), log: (s: string) => void = (s) => console.log(s)): NodeRedInstall {
  const present = installedNodeRed(dir);
  if (present) {
    log(`Node-RED ${present.nodeRed} with node-red-contrib-modbus ${present.contribModbus} (${present.modbusLibrary}) already in ${dir}`);
    return present;
  }
  fs.mkdirSync(dir, { recursive: true });
  const pkg = {
    name: 'switchyard-bench-nodered',
    private: true,
    description: "Switchyard's acquisition benchmark peer (bench/nodered/setup.ts); not part of the project",
    dependencies: { 'node-red': NODE_RED_SPEC, 'node-red-contrib-modbus': CONTRIB_MODBUS_SPEC },
    overrides: { [FORK_NAME]: `npm:modbus-serial@${modbusSerialSpec()}` },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  log(`installing Node-RED ${NODE_RED_SPEC} and node-red-contrib-modbus ${CONTRIB_MODBUS_SPEC} into ${dir} ...`);
  execFileSync('npm', ['install', '--prefix', dir, '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  const done = installedNodeRed(dir);
  if (!done) throw new Error(`Node-RED installation in ${dir} is incomplete (see npm's output above)`);
  log(`installed Node-RED ${done.nodeRed} with node-red-contrib-modbus ${done.contribModbus} (${done.modbusLibrary}) in ${dir}`);
  return done;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  installNodeRed(process.argv[2] ? path.resolve(process.argv[2]) : noderedDir());
}
