// The built product in out/ (electron-vite: out/main/{index,cli}.js, out/preload, out/renderer), rebuilt only when
// a source is newer than it. `npm run serve`, `npm run cli`, `npm start` and the tests run this same build.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const OUTPUTS = ['out/main/cli.js', 'out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'];
const INPUTS = ['src', 'electron.vite.config.ts', 'package.json'];

function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const e of fs.readdirSync(p)) t = Math.max(t, newest(path.join(p, e)));
  return t;
}

/** Why out/ must be rebuilt, or null when every output exists and is newer than every source. */
export function staleReason(root) {
  let oldest = Infinity;
  for (const o of OUTPUTS) {
    const f = path.join(root, o);
    if (!fs.existsSync(f)) return `${o} is missing`;
    oldest = Math.min(oldest, fs.statSync(f).mtimeMs);
  }
  const src = Math.max(...INPUTS.map((i) => newest(path.join(root, i))));
  return src > oldest ? 'the sources changed since the last build' : null;
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
};

/** One build at a time per checkout (a lock directory in out/, taken over when its owner died). */
function withLock(root, fn) {
  const out = path.join(root, 'out');
  const lock = path.join(out, '.build-lock');
  fs.mkdirSync(out, { recursive: true });
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let owner = 0;
      try {
        owner = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        /* being written */
      }
      if (owner && !alive(owner)) fs.rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`another build holds ${lock}`, { cause: e });
      else sleep(200);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * electron-vite reads Electron's major version from node_modules/electron to pick its build targets. Electron is an
 * optional dependency (its binary download may fail, and then npm leaves it out): the declared version stands in.
 */
function buildEnv(root) {
  const env = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' };
  if (!env.ELECTRON_MAJOR_VER && !fs.existsSync(path.join(root, 'node_modules', 'electron', 'package.json'))) {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    const declared = pkg.optionalDependencies?.electron ?? pkg.devDependencies?.electron ?? '';
    const major = /\d+/.exec(declared)?.[0];
    if (major) env.ELECTRON_MAJOR_VER = major;
  }
  return env;
}

/**
 * Builds out/ when it is missing or older than the sources; returns what happened. `say` gets one line
 * before a build. Throws with the build's output when the build fails.
 */
export function ensureBuilt(root, say = () => undefined) {
  if (!staleReason(root)) return { built: false };
  return withLock(root, () => {
    const reason = staleReason(root);
    if (!reason) return { built: false };
    say(`building Switchyard into out/ (${reason})`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], {
      cwd: root,
      encoding: 'utf8',
      env: buildEnv(root),
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`the build failed (npm run build):\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`);
    return { built: true, ms: Date.now() - t0 };
  });
}
