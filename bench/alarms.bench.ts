/**
 * Alarm and rule evaluation with 10,000 points changing every second, on a real runtime (historian, live
 * stream and alarms all listening on the value bus). Prints the evaluation time per scan (one batch of
 * 10,000 values through the whole bus), the delay from a value's publication to its alarm being stored
 * and pushed, and the time to run 500 rules. Scans are fed back to back (simulated one-second steps), so
 * the figures are processing time, not wall time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRuntime } from '../src/core/runtime';
import type { AlarmService } from '../src/core/alarms/service';
import type { RuleRunner } from '../src/core/alarms/rules';
import type { PointValue } from '../src/core/values/bus';
import { ValueBatch } from '../src/core/values/batch';

const POINTS = 10_000;
const SCANS = 60;
const RULES = 500;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (v: number) => `${v.toFixed(2)} ms`;

export async function run(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-alarms-'));
  const runtime = createRuntime({ dataDir, port: 0, seed: 'empty', adminPassword: 'Bench-Alarms-1', log: () => undefined });
  await runtime.start();
  try {
    const ctx = runtime.context!;
    const db = ctx.store.db;
    const ids: number[] = [];
    ctx.store.tx(() => {
      const gw = db.prepare("INSERT INTO gateways (uuid, name) VALUES ('bench-gw', 'Bench')").run().lastInsertRowid;
      const ds = db.prepare("INSERT INTO data_sources (uuid, name, gateway_id, protocol, connection, status) VALUES ('bench-ds', 'Bench', ?, 'manual', '{}', 'online')").run(gw).lastInsertRowid;
      const ins = db.prepare("INSERT INTO points (name, data_source_id, object_type, units, high_limit, higher_limit, low_limit, ratio, offset_constant, is_trend, is_virtual, address) VALUES (?, ?, 'ANALOG_VALUE', 'kW', 90, 95, 5, 1, 0, 1, 0, '{}')");
      for (let i = 0; i < POINTS; i++) ids.push(Number(ins.run(`P${i}`, ds).lastInsertRowid));
    });
    const alarms = ctx.services.get('alarms') as AlarmService;
    alarms.reload();

    // every alarm push records when it happened: the delay is publish -> stored and pushed
    let pushedAt = 0;
    let pushedCount = 0;
    const live = ctx.services.get('live') as { broadcast(msg: object): void };
    const original = live.broadcast.bind(live);
    live.broadcast = (msg: object) => {
      if ((msg as { type?: string }).type === 'alarms') {
        pushedAt = performance.now();
        pushedCount += ((msg as { changed: unknown[] }).changed ?? []).length;
      }
      original(msg);
    };

    // values wander between 40 and 60; each scan 100 points (1 %) jump above the high limit and the previous 100 come back
    const t0 = Date.now() - SCANS * 1000;
    const evalMs: number[] = [];
    const delayMs: number[] = [];
    let transitions = 0;
    for (let s = 0; s < SCANS; s++) {
      const ts = t0 + s * 1000;
      const batch: PointValue[] = new Array(POINTS);
      for (let i = 0; i < POINTS; i++) {
        const abnormal = i % 200 === s % 200 || (i + 100) % 200 === s % 200; // a few points in alarm each scan, others return
        batch[i] = { point_id: ids[i], value: abnormal ? 92 + (i % 3) : 40 + ((i * 7 + s) % 20), quality: 'good', ts };
      }
      pushedAt = 0;
      const before = pushedCount;
      const start = performance.now();
      ctx.values.publish(ValueBatch.of(batch));
      const end = performance.now();
      evalMs.push(end - start);
      if (pushedAt) delayMs.push(pushedAt - start);
      transitions += pushedCount - before;
    }

    // steady state: the same values again (nothing crosses a limit)
    const quietMs: number[] = [];
    const steady: PointValue[] = ids.map((id, i) => ({ point_id: id, value: 40 + (i % 20), quality: 'good', ts: 0 }));
    for (let s = 0; s < 20; s++) {
      const ts = t0 + (SCANS + 1 + s) * 1000;
      const batch = steady.map((v) => ({ ...v, ts }));
      const start = performance.now();
      ctx.values.publish(ValueBatch.of(batch));
      quietMs.push(performance.now() - start);
    }

    // the alarm service alone on the same steady batches
    const aloneMs: number[] = [];
    for (let s = 0; s < 20; s++) {
      const ts = t0 + (SCANS + 30 + s) * 1000;
      const batch = steady.map((v) => ({ ...v, ts }));
      const start = performance.now();
      alarms.onValues(ValueBatch.of(batch));
      aloneMs.push(performance.now() - start);
    }

    // rules: 500 REALTIME01 rules over the same points, run at once
    ctx.store.tx(() => {
      const ins = db.prepare("INSERT INTO rules (uuid, name, fdd_code, category, priority, channel, expression, message_template, is_enabled, is_run_immediately) VALUES (?, ?, 'REALTIME01', 'REALTIME', 'LOW', 'WEB', ?, '$point_name $value', 1, 0)");
      for (let r = 0; r < RULES; r++) ins.run(`bench-rule-${r}`, `Rule ${r}`, JSON.stringify({ point_id: ids[r * 20], high_limit: 50 }));
    });
    const runner = ctx.services.get('rules') as RuleRunner;
    const ruleMs: number[] = [];
    for (let k = 0; k < 3; k++) {
      db.prepare('UPDATE rules SET next_run_datetime = NULL').run();
      const start = performance.now();
      const n = runner.runDue();
      ruleMs.push(performance.now() - start);
      if (n < RULES) throw new Error(`only ${n} rules ran`);
    }

    const summary = alarms.summary();
    process.stdout.write(
      [
        `points: ${POINTS}, scans: ${SCANS} (one batch of ${POINTS} values per simulated second), alarm transitions: ${transitions}`,
        `evaluation per scan (whole value bus: alarms + historian queue + live): median ${ms(pct(evalMs, 50))}, p95 ${ms(pct(evalMs, 95))}, max ${ms(Math.max(...evalMs))}`,
        `evaluation per scan with no limit crossed (steady state, after the first quiet scan cleared the rest): median ${ms(pct(quietMs.slice(1), 50))}, p95 ${ms(pct(quietMs.slice(1), 95))}`,
        `of which the alarm evaluation alone: median ${ms(pct(aloneMs, 50))}, p95 ${ms(pct(aloneMs, 95))}`,
        `value -> alarm stored and pushed: median ${ms(pct(delayMs, 50))}, p95 ${ms(pct(delayMs, 95))}, max ${ms(Math.max(...delayMs))} (${delayMs.length} scans with transitions)`,
        `budget used per second: ${((pct(evalMs, 50) / 1000) * 100).toFixed(1)} % of one core (median)`,
        `${RULES} REALTIME01 rules, one run: median ${ms(pct(ruleMs, 50))} (${ms(pct(ruleMs, 50) / RULES)} per rule)`,
        `unacknowledged alarms at the end: ${summary.unacknowledged}, highest priority ${summary.highestPriority}`,
        '',
      ].join('\n'),
    );
  } finally {
    // let timers the features scheduled at start-up run before the store closes
    await new Promise((r) => setTimeout(r, 100));
    await runtime.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
