/**
 * Rules (MyEMS `rules`): an FDD check (fdd_code) with its expression, run on a schedule or at once
 * (PUT /api/rules/{id}/run). A finding raises (or clears) an alarm per diagnosed object; a new alarm sends
 * the rule's message, rendered from message_template, on the rule's channel and as an in-app notification.
 */
import type { EntityDef } from '../model/types';
import { CHANNELS, type Channel, type Messenger, type Recipient } from '../messages/messenger';
import { renderTemplate } from '../messages/template';
import type { Store } from '../store/store';
import type { ValueBus } from '../values/bus';
import { checkByCode, CHECKS, type Finding } from './checks';
import type { CounterMarks } from './counters';
import type { AlarmService } from './service';
import { PRIORITIES, type Priority } from './state';

export const CATEGORIES = ['SYSTEM', 'REALTIME', 'SPACE', 'METER', 'TENANT', 'STORE', 'SHOPFLOOR', 'EQUIPMENT', 'COMBINEDEQUIPMENT'] as const;
export const DEFAULT_INTERVAL_S = 60;

const parse = (v: unknown): Record<string, unknown> | null => {
  try {
    const o = typeof v === 'string' ? JSON.parse(v) : v;
    return o && typeof o === 'object' && !Array.isArray(o) ? o : null;
  } catch {
    return null;
  }
};

function validateRecipients(e: Record<string, unknown>, channel: string): string | null {
  if (e.recipients === undefined) return channel === 'WEB' ? null : `expression.recipients is required for channel ${channel}`;
  if (!Array.isArray(e.recipients)) return 'expression.recipients must be a list';
  const need: Record<string, string> = { WEB: 'user_id', EMAIL: 'email', SMS: 'mobile', CALL: 'mobile', WECHAT: 'openid' };
  for (const [i, r] of (e.recipients as unknown[]).entries()) {
    if (!r || typeof r !== 'object') return `expression.recipients[${i}] must be an object`;
    const k = need[channel];
    const v = (r as Record<string, unknown>)[k];
    if (v === undefined || v === null || v === '') return `expression.recipients[${i}].${k} is required for channel ${channel}`;
    if (k === 'email' && !/^[^@\s<>]+@[^@\s<>]+$/.test(String(v))) return `expression.recipients[${i}].email must be an e-mail address`;
  }
  return null;
}

export const rules: EntityDef = {
  key: 'rules',
  path: 'rules',
  table: 'rules',
  label: 'Rule',
  group: 'Alarms',
  fields: [
    { name: 'name', type: 'string', required: true },
    {
      name: 'fdd_code',
      type: 'string',
      required: true,
      help: `one of ${CHECKS.map((c) => c.code).join(', ')} (see docs/alarms.md)`,
      check: (v) => (checkByCode.has(String(v)) ? null : `fdd_code must be one of ${CHECKS.map((c) => c.code).join(', ')}`),
    },
    { name: 'category', type: 'enum', values: CATEGORIES, required: true },
    { name: 'priority', type: 'enum', values: PRIORITIES, required: true },
    { name: 'channel', type: 'enum', values: CHANNELS, required: true },
    {
      name: 'expression',
      type: 'json',
      required: true,
      help: 'JSON; SPACE01 {"space_id":1,"high_limit":1000}; optional "recipients", "interval_in_seconds"',
      check: (v, row, store) => {
        const e = parse(v);
        if (!e) return 'expression must be a JSON object';
        const check = checkByCode.get(String(row.fdd_code));
        if (!check) return null; // fdd_code reports its own error
        if (e.interval_in_seconds !== undefined && (typeof e.interval_in_seconds !== 'number' || e.interval_in_seconds < 1 || e.interval_in_seconds > 86_400)) {
          return 'expression.interval_in_seconds must be a number from 1 to 86400';
        }
        return check.validate(e, store) ?? validateRecipients(e, String(row.channel));
      },
    },
    { name: 'message_template', type: 'text', maxLength: 10_000, help: '$name or ${name} substitutions, or MyEMS %s placeholders' },
    { name: 'is_enabled', type: 'boolean', default: true },
    { name: 'is_run_immediately', type: 'boolean', default: false },
    { name: 'last_run_datetime', type: 'datetime', readOnly: true },
    { name: 'next_run_datetime', type: 'datetime', readOnly: true },
  ],
};

interface RuleRow {
  id: number;
  name: string;
  fdd_code: string;
  priority: string;
  channel: string;
  expression: string;
  message_template: string | null;
  is_enabled: number;
  next_run_datetime: string | null;
}

export interface RuleRunResult {
  rule_id: number;
  run_datetime: string;
  findings: { object_id: number; object_name: string; active: boolean; value: number | null; message: string; alarm_id: number | null }[];
  messages_sent: number;
}

export interface RuleRunnerOptions {
  store: Store;
  bus: ValueBus;
  counters: CounterMarks;
  alarms: AlarmService;
  messenger: Messenger;
  now?: () => number;
  tickMs?: number;
  log?: (line: string) => void;
  /** after messages were queued (e.g. flush the e-mail outbox at once) */
  onMessages?: () => void;
}

export class RuleRunner {
  readonly name = 'rules';
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: RuleRunnerOptions) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    const ms = this.opts.tickMs ?? 1000;
    if (ms > 0) {
      this.timer = setInterval(() => {
        try {
          this.runDue();
        } catch (e) {
          this.opts.log?.(`rules: ${(e as Error).message}`);
        }
      }, ms);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Runs every enabled rule whose next run time has come. */
  runDue(): number {
    const nowIso = new Date(this.now()).toISOString();
    const due = this.opts.store.db
      .prepare('SELECT * FROM rules WHERE is_enabled = 1 AND (next_run_datetime IS NULL OR next_run_datetime <= ?) ORDER BY id')
      .all(nowIso) as RuleRow[];
    for (const r of due) {
      try {
        this.runRule(r);
      } catch (e) {
        this.opts.log?.(`rule ${r.id} ${r.name}: ${(e as Error).message}`);
        this.schedule(r, this.now());
      }
    }
    return due.length;
  }

  run(ruleId: number): RuleRunResult | null {
    const r = this.opts.store.db.prepare('SELECT * FROM rules WHERE id = ?').get(ruleId) as RuleRow | undefined;
    return r ? this.runRule(r) : null;
  }

  private schedule(r: RuleRow, at: number): void {
    const e = parse(r.expression) ?? {};
    const interval = typeof e.interval_in_seconds === 'number' ? e.interval_in_seconds : DEFAULT_INTERVAL_S;
    this.opts.store.db.prepare('UPDATE rules SET last_run_datetime = ?, next_run_datetime = ? WHERE id = ?').run(new Date(at).toISOString(), new Date(at + interval * 1000).toISOString(), r.id);
  }

  private runRule(r: RuleRow): RuleRunResult {
    const now = this.now();
    const check = checkByCode.get(r.fdd_code);
    const expr = parse(r.expression) ?? {};
    if (!check) throw new Error(`unknown fdd_code ${r.fdd_code}`);
    const findings: Finding[] = check.run(expr, { store: this.opts.store, bus: this.opts.bus, counters: this.opts.counters, now });
    const priority = (PRIORITIES.includes(r.priority as Priority) ? r.priority : 'MEDIUM') as Priority;
    let sent = 0;
    const out: RuleRunResult['findings'] = [];
    for (const f of findings) {
      const message = r.message_template
        ? renderTemplate(r.message_template, { rule_name: r.name, object_name: f.objectName, ...f.vars }, f.args)
        : `${r.name}: ${f.objectName}${f.value !== null ? ` (${f.value})` : ''}`;
      const res = this.opts.alarms.raise(
        { source: 'rule', sourceId: r.id, condition: `${r.fdd_code}:${f.objectId}`, name: `${r.name}: ${f.objectName}`, message, priority, value: f.value },
        f.active,
        now,
      );
      const alarmId = (res.alarm?.id as number | undefined) ?? null;
      if (res.activated) {
        const recipients = Array.isArray(expr.recipients) ? (expr.recipients as Recipient[]) : [];
        sent += this.opts.messenger.send({
          channel: r.channel as Channel,
          subject: r.name,
          body: message,
          recipients,
          ruleId: r.id,
          alarmId,
          wechatTemplateId: typeof expr.message_template_id === 'string' ? expr.message_template_id : undefined,
        });
        this.opts.messenger.notify(r.name, message, alarmId ? `/alarms?id=${alarmId}` : '/alarms');
      }
      out.push({ object_id: f.objectId, object_name: f.objectName, active: f.active, value: f.value, message, alarm_id: alarmId });
    }
    this.schedule(r, now);
    if (sent) this.opts.onMessages?.();
    return { rule_id: r.id, run_datetime: new Date(now).toISOString(), findings: out, messages_sent: sent };
  }
}
