/**
 * Real protocol peers for the tests, started on loopback and stopped by PID (also when a test fails).
 * A missing peer is an error, with or without CI=true: the suite fails and names the apt line that installs
 * every peer (the one .ci/run runs), instead of being skipped and looking green.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/process';

export const SYSTEM_PYTHON = '/usr/bin/python3';

/** The apt packages .ci/run installs (read from it, so the two never disagree). */
export function aptPackages(): string[] {
  const script = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
  const m = /APT_PACKAGES=\(([^)]*)\)/.exec(script);
  return m ? m[1].trim().split(/\s+/) : [];
}

/** Why a test cannot run here, and how to fix it. */
export function missingPeerMessage(name: string): string {
  return `test peer ${name} is missing. Install the test peers with: sudo apt-get install --no-install-recommends ${aptPackages().join(' ')} (or run: bash .ci/run)`;
}

/** Returns true when the peer can run here; throws, naming what to install, when it cannot (never a silent skip). */
export function peerAvailable(name: string, check: () => boolean): boolean {
  let ok: boolean;
  try {
    ok = check();
  } catch {
    ok = false;
  }
  if (!ok) throw new Error(missingPeerMessage(name));
  return true;
}

export const hasPymodbus = () =>
  peerAvailable('pymodbus (apt: python3-pymodbus)', () => {
    execFileSync(SYSTEM_PYTHON, ['-c', 'import pymodbus'], { stdio: 'ignore' });
    return true;
  });

export const hasBinary = (bin: string, pkg: string) => peerAvailable(`${bin} (apt: ${pkg})`, () => fs.existsSync(bin));

export interface Peer {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/** Waits for a peer's ready line; the deadline is generous (a loaded 2-core machine starts Python slowly). */
function waitForLine(child: ChildProcess, pattern: RegExp, what: string, timeoutMs = 60_000): Promise<void> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${out}`)), timeoutMs);
    const on = (d: Buffer) => {
      out += d.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${out}`));
    });
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
}

export interface PymodbusConfig {
  port: number;
  framer?: 'socket' | 'rtu';
  /** per unit id: register tables, address -> value; addresses not listed answer exception 2 */
  slaves?: Record<string, { hr?: Record<string, number>; ir?: Record<string, number>; co?: Record<string, number>; di?: Record<string, number> }>;
  /** > 0: unit 1's holding registers 0..N-1 as one block */
  sequential_hr?: number;
}

/** pymodbus (Debian's python3-pymodbus) serving Modbus TCP, or RTU framing over TCP. */
export async function startPymodbus(cfg: PymodbusConfig): Promise<Peer> {
  const child = spawn(SYSTEM_PYTHON, [path.join(ROOT, 'test', 'peers', 'pymodbus_server.py'), JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = stopper(child);
  try {
    await waitForLine(child, /READY/, 'pymodbus');
  } catch (e) {
    await stop();
    throw e;
  }
  return { child, port: cfg.port, stop };
}

/** mosquitto on a loopback port with a queue deep enough for QoS 1 bursts. */
export async function startMosquitto(port: number): Promise<Peer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\npersistence false\nlog_type error\nlog_type notice\n`);
  const child = spawn('/usr/sbin/mosquitto', ['-c', conf, '-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = stopper(child);
  try {
    await waitForLine(child, /running|Opening ipv4 listen socket/, 'mosquitto');
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    child,
    port,
    stop: async () => {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
