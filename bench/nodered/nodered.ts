/**
 * Starts Node-RED headless for the acquisition bench: its own userDir in a temp dir (settings, the generated flow,
 * node-red-contrib-modbus linked from the installation), HTTP on 127.0.0.1 only, editor and admin API off.
 * stats() reads the flow's counters; stop() ends the process by its PID and removes the userDir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../test/support/process';
import { buildFlow, settingsFile, type PeerBlocks } from './flow';
import type { NodeRedInstall } from './setup';

export interface NodeRedStats {
  /** modbus-read answers received */
  reads: number;
  /** registers received */
  values: number;
  /** reads that failed (refused while the client was busy, timed out), and why */
  failed: number;
  failures: Record<string, number>;
  /** errors caught in the flow */
  errors: number;
}

export interface RunningNodeRed {
  child: ChildProcess;
  pid: number;
  stats(): Promise<NodeRedStats>;
  output(): string;
  stop(): Promise<void>;
}

export async function startNodeRed(install: NodeRedInstall, peers: PeerBlocks[], intervalS = 1, clientsPerPeer = 1, deadlineMs = 120_000): Promise<RunningNodeRed> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-nodered-'));
  const port = await freePort();
  fs.writeFileSync(path.join(userDir, 'settings.js'), settingsFile(userDir, port));
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(buildFlow(peers, intervalS, clientsPerPeer)));
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'switchyard-bench-userdir', private: true, dependencies: { 'node-red-contrib-modbus': '*' } }));
  // Node-RED loads extra nodes from userDir/node_modules; the module's own dependencies resolve from its real path
  fs.mkdirSync(path.join(userDir, 'node_modules'));
  fs.symlinkSync(path.join(install.dir, 'node_modules', 'node-red-contrib-modbus'), path.join(userDir, 'node_modules', 'node-red-contrib-modbus'), 'dir');

  const child = spawn(process.execPath, [install.red, '--settings', path.join(userDir, 'settings.js'), '--userDir', userDir], {
    cwd: userDir,
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const late = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(late);
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  };
  const stats = async (): Promise<NodeRedStats> => {
    const r = await fetch(`http://127.0.0.1:${port}/bench/stats`, { signal: AbortSignal.timeout(10_000) });
    if (!r.ok) throw new Error(`Node-RED /bench/stats: ${r.status}`);
    return (await r.json()) as NodeRedStats;
  };
  const t0 = Date.now();
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Node-RED exited before it was ready:\n${out}`);
      if (Date.now() - t0 > deadlineMs) throw new Error(`Node-RED did not answer in ${deadlineMs} ms:\n${out}`);
      try {
        const s = await stats();
        if (s.reads > 0) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { child, pid: child.pid!, stats, output: () => out, stop };
}
