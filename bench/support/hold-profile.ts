/**
 * What ran while the event loop was held: the served process's CPU profile (`node --cpu-prof`, written when it
 * exits) against the holds its probe printed (`PROBE_HOLD start end ran waited`, bench/support/probe.mjs with
 * PROBE_HOLDS=1, times on the profile's clock). For each hold, the functions that took most of its samples, counted
 * with their callees, and the garbage collector. The sampling itself slows the process: use it to attribute, not
 * to time.
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** the frames a hold's samples were in, busiest first (inclusive µs), leaving out the event loop's own frames */
const LOOP_FRAMES = /^\((root|idle|program)\)|^(processTicksAndRejections|runMicrotasks|listOnTimeout|processTimers|processImmediate|runNextTicks|emit|runInAsyncScope) /;

export function holdProfile(dir: string, output: string, top = 6): string[] {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  if (!files.length) return [`no CPU profile in ${dir} (the process did not exit cleanly)`];
  // the main thread's profile is the largest (worker threads write their own)
  const file = files.map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${path.basename(n.callFrame.url) || '-'}:${n.callFrame.lineNumber + 1}`;
  const times: number[] = [];
  let t = p.startTime;
  for (const d of p.timeDeltas) times.push((t += d));
  const holds = output
    .split('\n')
    .filter((l) => l.startsWith('PROBE_HOLD '))
    .map((l) => l.split(' ').slice(1).map(Number));
  const out = [`what ran in the ${holds.length} holds over 20 ms (CPU profile, ms of samples with their callees):`];
  for (const [start, end, ran, waited] of holds) {
    const incl = new Map<string, number>();
    for (let i = 0; i < times.length; i++) {
      if (times[i] < start || times[i] > end) continue;
      const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
      const seen = new Set<string>();
      for (let id: number | undefined = p.samples[i]; id !== undefined; id = parent.get(id)) {
        const k = label(byId.get(id)!);
        if (seen.has(k) || LOOP_FRAMES.test(k)) continue;
        seen.add(k);
        incl.set(k, (incl.get(k) ?? 0) + dt);
      }
    }
    const busiest = [...incl].sort((a, b) => b[1] - a[1]).slice(0, top);
    out.push(`  ${((start - p.startTime) / 1e6).toFixed(2)} s, ${((end - start) / 1000).toFixed(1)} ms (ran ${ran}, waited for a core ${waited}): ${busiest.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(' | ')}`);
  }
  return out;
}
