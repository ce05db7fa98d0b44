/**
 * Advanced reports: the `advancedreports` entity (name, expression, is_enabled, next_run_datetime,
 * is_run_immediately) made to run. At next_run_datetime (local time of the report's subject) a run is queued
 * for that slot, the next slot scheduled; a run builds the named report over the period before its slot,
 * stores the workbook (listed under /api/reports/advancedreports) and e-mails it to the expression's
 * recipients through the configured email server. A failed build or send is logged and retried with a
 * growing delay; nothing is dropped. Missed slots (the server was off) are caught up, each with its own run.
 *
 * Expression (MyEMS stores only the subject, e.g. {"space_id":1}; the rest is optional):
 *   {"space_id":1, "report":"spaceenergycategory", "schedule":"daily|weekly|monthly",
 *    "periodtype":"hourly|daily|...", "recipients":["energy@site.example"]}
 */
import crypto from 'node:crypto';
import type { Principal } from '../auth/service';
import { PERIOD_TYPES, type PeriodType, type SubjectKind } from '../energy/contract';
import { emailServerFromStore } from '../messages/outbox';
import type { FeatureMigrations, Store } from '../store/store';
import { catalog } from './catalog';
import { buildWorkbook, workbookName } from './excel';
import { runReport, type ReportDeps } from './service';
import { SUBJECTS } from './subjects';
import { localString, nextPeriod, parseLocal, periodStart as periodStartOf } from './time';

export const advancedMigrations: FeatureMigrations = {
  feature: 'reports',
  migrations: [
    {
      version: 1,
      name: 'advanced report runs',
      up: (db) =>
        db.exec(`
          CREATE TABLE advanced_report_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            uuid TEXT NOT NULL UNIQUE,
            advanced_report_id INTEGER NOT NULL,
            report_name TEXT NOT NULL,
            slot_utc INTEGER NOT NULL,
            created_datetime_utc TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_utc INTEGER NOT NULL,
            last_error TEXT,
            file_name TEXT,
            file_bytes BLOB,
            reporting_start_local TEXT,
            reporting_end_local TEXT,
            email_status TEXT NOT NULL DEFAULT 'none',
            email_attempts INTEGER NOT NULL DEFAULT 0,
            email_error TEXT,
            emailed_datetime_utc TEXT,
            UNIQUE(advanced_report_id, slot_utc));
          CREATE INDEX ix_advanced_report_runs_due ON advanced_report_runs(status, next_attempt_utc);`),
    },
  ],
};

type Schedule = 'daily' | 'weekly' | 'monthly';
const SCHEDULE_PERIOD: Record<Schedule, PeriodType> = { daily: 'daily', weekly: 'weekly', monthly: 'monthly' };
const DEFAULT_PERIOD_TYPE: Record<Schedule, PeriodType> = { daily: 'hourly', weekly: 'daily', monthly: 'daily' };
/** retry delays: 1, 2, 4 ... minutes, at most an hour; the build is retried for ever, e-mail up to 10 times */
const retryDelay = (attempts: number) => Math.min(60, 2 ** Math.max(0, attempts - 1)) * 60_000;
export const MAX_EMAIL_ATTEMPTS = 10;

export interface Plan {
  report: string;
  kind: SubjectKind;
  subjectId: number;
  schedule: Schedule;
  periodType: PeriodType;
  recipients: string[];
}

interface ReportRow {
  id: number;
  name: string;
  expression: string;
  is_enabled: number;
  next_run_datetime: string;
  is_run_immediately: number;
}

/** What an expression asks for; a message naming the problem otherwise. */
export function planOf(expression: string): Plan | string {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(expression);
  } catch {
    return 'expression is not JSON';
  }
  const subject = (Object.values(SUBJECTS) as (typeof SUBJECTS)[SubjectKind][]).find((s) => e[`${s.key}_id`] !== undefined);
  if (!subject) return 'expression names no subject (space_id, meter_id, equipment_id, tenant_id, store_id, shopfloor_id ...)';
  const subjectId = Number(e[`${subject.key}_id`]);
  if (!Number.isSafeInteger(subjectId) || subjectId < 1) return `${subject.key}_id must be a positive integer`;
  const defaultReport = subject.kind.endsWith('meters') ? `${subject.param}energy` : `${subject.param}energycategory`;
  const report = typeof e.report === 'string' ? e.report : defaultReport;
  const entry = catalog.get(report);
  if (!entry || entry.kind !== subject.kind) return `report ${report} does not exist for a ${subject.label.toLowerCase()}`;
  const schedule = (e.schedule ?? 'daily') as Schedule;
  if (!(schedule in SCHEDULE_PERIOD)) return 'schedule must be daily, weekly or monthly';
  const periodType = (e.periodtype ?? DEFAULT_PERIOD_TYPE[schedule]) as PeriodType;
  if (!PERIOD_TYPES.includes(periodType)) return `periodtype must be one of ${PERIOD_TYPES.join(', ')}`;
  const recipients = Array.isArray(e.recipients) ? e.recipients.map(String) : typeof e.recipients === 'string' ? [e.recipients] : [];
  if (recipients.some((r) => !/^[^@\s]+@[^@\s]+$/.test(r))) return 'recipients must be e-mail addresses';
  return { report, kind: subject.kind, subjectId, schedule, periodType, recipients };
}

const SYSTEM: Principal = { userId: 0, userName: 'scheduler', isAdmin: true, isReadOnly: false, spaces: null, via: 'session' };
const nowIso = () => new Date().toISOString().slice(0, 19);

export class AdvancedReports {
  readonly name = 'advancedreports';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly deps: ReportDeps,
    private readonly opts: { intervalMs?: number; log?: (line: string) => void; now?: () => number } = {},
  ) {}

  private get store(): Store {
    return this.deps.store;
  }
  private now(): number {
    return (this.opts.now ?? Date.now)();
  }
  private zone(plan: Plan): string {
    const energy = this.deps.services.get('energy') as { timezoneOf(k: SubjectKind, id: number): string } | undefined;
    try {
      return energy ? energy.timezoneOf(plan.kind, plan.subjectId) : 'UTC';
    } catch {
      return 'UTC';
    }
  }

  start(): void {
    const ms = this.opts.intervalMs ?? 30_000;
    if (ms > 0) {
      this.timer = setInterval(() => void this.tick(), ms);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Queues due slots and works off due runs; concurrent calls share one round. */
  tick(): Promise<void> {
    if (this.running) return this.running;
    const p = (async () => {
      this.schedule();
      await this.work();
    })()
      .catch((e: Error) => this.opts.log?.(`advanced reports: ${e.message}`))
      .finally(() => {
        this.running = null;
      });
    this.running = p;
    return p;
  }

  /** Turns due next_run_datetime slots (and is_run_immediately) into queued runs; moves next_run_datetime on. */
  schedule(): number {
    const rows = this.store.db.prepare('SELECT id, name, expression, is_enabled, next_run_datetime, is_run_immediately FROM advanced_reports WHERE is_enabled = 1').all() as ReportRow[];
    let queued = 0;
    const now = this.now();
    for (const r of rows) {
      const plan = planOf(r.expression);
      if (typeof plan === 'string') continue;
      const zone = this.zone(plan);
      if (r.is_run_immediately) {
        this.enqueue(r.id, plan, now);
        this.store.db.prepare('UPDATE advanced_reports SET is_run_immediately = 0 WHERE id = ?').run(r.id);
        queued++;
      }
      let slot = parseLocal(String(r.next_run_datetime), zone);
      if (slot === null || slot > now) continue;
      // catch up missed slots, at most a year's worth
      for (let n = 0; slot <= now && n < 400; n++) {
        this.enqueue(r.id, plan, slot);
        queued++;
        slot = this.nextSlot(slot, plan, zone);
      }
      this.store.db.prepare('UPDATE advanced_reports SET next_run_datetime = ? WHERE id = ?').run(localString(slot, zone), r.id);
    }
    return queued;
  }

  private nextSlot(slot: number, plan: Plan, zone: string): number {
    // the same local time of day on the next day / week / month
    const local = localString(slot, zone);
    const day = parseLocal(`${local.slice(0, 10)}T00:00:00`, zone)!;
    let step = plan.schedule === 'monthly' ? addMonth(day, zone) : day;
    for (let i = 0; plan.schedule !== 'monthly' && i < (plan.schedule === 'weekly' ? 7 : 1); i++) step = nextPeriod(step, zone, 'daily');
    return parseLocal(`${localString(step, zone).slice(0, 10)}${local.slice(10)}`, zone)!;
  }

  private enqueue(reportId: number, plan: Plan, slot: number): void {
    this.store.db
      .prepare("INSERT OR IGNORE INTO advanced_report_runs (uuid, advanced_report_id, report_name, slot_utc, created_datetime_utc, status, next_attempt_utc) VALUES (?, ?, ?, ?, ?, 'pending', ?)")
      .run(crypto.randomUUID(), reportId, plan.report, slot, nowIso(), 0);
  }

  /** Runs at once (PUT /api/advancedreports/{id}/run): a run for now, built before answering. */
  async runNow(reportId: number): Promise<Record<string, unknown>> {
    const row = this.store.db.prepare('SELECT id, name, expression, is_enabled, next_run_datetime, is_run_immediately FROM advanced_reports WHERE id = ?').get(reportId) as ReportRow | undefined;
    if (!row) throw new Error('not found');
    const plan = planOf(row.expression);
    if (typeof plan === 'string') throw new Error(plan);
    const slot = this.now();
    this.enqueue(row.id, plan, slot);
    const run = this.store.db.prepare('SELECT id FROM advanced_report_runs WHERE advanced_report_id = ? AND slot_utc = ?').get(row.id, slot) as { id: number };
    await this.runOne(run.id);
    return this.describe(run.id)!;
  }

  private async work(): Promise<void> {
    const now = this.now();
    const due = this.store.db
      .prepare("SELECT id FROM advanced_report_runs WHERE (status IN ('pending','failed') AND next_attempt_utc <= ?) OR (status = 'done' AND email_status IN ('pending','failed') AND next_attempt_utc <= ?) ORDER BY id LIMIT 20")
      .all(now, now) as { id: number }[];
    for (const r of due) await this.runOne(r.id);
  }

  private async runOne(runId: number): Promise<void> {
    const db = this.store.db;
    const run = db.prepare('SELECT * FROM advanced_report_runs WHERE id = ?').get(runId) as Record<string, unknown>;
    const report = db.prepare('SELECT id, name, expression FROM advanced_reports WHERE id = ?').get(run.advanced_report_id) as ReportRow | undefined;
    if (!report) {
      db.prepare("UPDATE advanced_report_runs SET status = 'orphaned', last_error = 'the advanced report was deleted' WHERE id = ?").run(runId);
      return;
    }
    const plan = planOf(report.expression);
    if (run.status !== 'done') {
      try {
        if (typeof plan === 'string') throw new Error(plan);
        const zone = this.zone(plan);
        // the period before the slot: the previous day / week / month in the subject's zone
        const slot = run.slot_utc as number;
        const unit = SCHEDULE_PERIOD[plan.schedule];
        const end = startOf(slot, zone, unit);
        const start = previous(end, zone, unit);
        const q = {
          [`${SUBJECTS[plan.kind].param}id`]: String(plan.subjectId),
          periodtype: plan.periodType,
          reportingperiodstartdatetime: localString(start, zone),
          reportingperiodenddatetime: localString(end, zone),
          baseperiodstartdatetime: localString(previous(start, zone, unit), zone),
          baseperiodenddatetime: localString(start, zone),
          quickmode: 'true',
        };
        const o = runReport(this.deps, SYSTEM, plan.report, q, slot);
        o.built.doc.title = `${report.name}: ${o.built.doc.title}`;
        const bytes = await buildWorkbook(o.built.doc);
        const fileName = workbookName(o.built.doc);
        db.prepare(
          "UPDATE advanced_report_runs SET status = 'done', attempts = attempts + 1, last_error = NULL, file_name = ?, file_bytes = ?, reporting_start_local = ?, reporting_end_local = ?, email_status = ?, next_attempt_utc = 0 WHERE id = ?",
        ).run(fileName, bytes, q.reportingperiodstartdatetime, q.reportingperiodenddatetime, plan.recipients.length ? 'pending' : 'none', runId);
        db.prepare('UPDATE advanced_reports SET last_run_datetime = ? WHERE id = ?').run(nowIso(), report.id);
      } catch (e) {
        const attempts = (run.attempts as number) + 1;
        db.prepare("UPDATE advanced_report_runs SET status = 'failed', attempts = ?, last_error = ?, next_attempt_utc = ? WHERE id = ?").run(attempts, String((e as Error).message).slice(0, 2000), this.now() + retryDelay(attempts), runId);
        this.opts.log?.(`advanced report ${report.name}: run ${runId} failed (attempt ${attempts}), retried later: ${(e as Error).message}`);
        return;
      }
    }
    if (typeof plan !== 'string' && plan.recipients.length) await this.email(runId, report.name, plan.recipients);
  }

  private async email(runId: number, reportName: string, recipients: string[]): Promise<void> {
    const db = this.store.db;
    const run = db.prepare('SELECT email_status, email_attempts, file_name, file_bytes, reporting_start_local, reporting_end_local FROM advanced_report_runs WHERE id = ?').get(runId) as Record<string, unknown>;
    if (run.email_status !== 'pending' && run.email_status !== 'failed') return;
    const attempts = (run.email_attempts as number) + 1;
    try {
      const server = emailServerFromStore(this.store);
      if (!server) throw new Error('no email server is configured (add one under /api/emailservers)');
      const { default: nodemailer } = await import('nodemailer'); // on first e-mail, not at start-up
      const transport = nodemailer.createTransport({
        host: server.host,
        port: server.port,
        secure: server.port === 465,
        auth: server.requires_authentication && server.user_name ? { user: server.user_name, pass: server.password ?? '' } : undefined,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 30_000,
      });
      try {
        await transport.sendMail({
          from: server.from_addr,
          to: recipients,
          subject: `${reportName} ${String(run.reporting_start_local).slice(0, 10)}`,
          text: `${reportName}: ${run.reporting_start_local} to ${run.reporting_end_local}. The workbook is attached.`,
          attachments: [{ filename: String(run.file_name), content: run.file_bytes as Buffer, contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }],
        });
      } finally {
        transport.close();
      }
      db.prepare("UPDATE advanced_report_runs SET email_status = 'sent', email_attempts = ?, email_error = NULL, emailed_datetime_utc = ? WHERE id = ?").run(attempts, nowIso(), runId);
    } catch (e) {
      const giveUp = attempts >= MAX_EMAIL_ATTEMPTS;
      db.prepare('UPDATE advanced_report_runs SET email_status = ?, email_attempts = ?, email_error = ?, next_attempt_utc = ? WHERE id = ?').run(giveUp ? 'undeliverable' : 'failed', attempts, String((e as Error).message).slice(0, 2000), this.now() + retryDelay(attempts), runId);
      this.opts.log?.(`advanced report ${reportName}: e-mail of run ${runId} failed (attempt ${attempts}${giveUp ? ', given up; the file stays listed' : ', retried later'}): ${(e as Error).message}`);
    }
  }

  /** A run as /api/reports/advancedreports lists it (MyEMS: id, file_name, uuid, create_datetime, file_type, file_size_bytes). */
  describe(runId: number): Record<string, unknown> | null {
    const r = this.store.db
      .prepare('SELECT r.*, length(r.file_bytes) AS size, a.name AS report FROM advanced_report_runs r LEFT JOIN advanced_reports a ON a.id = r.advanced_report_id WHERE r.id = ?')
      .get(runId) as Record<string, unknown> | undefined;
    return r ? describeRow(r) : null;
  }
}

export function describeRow(r: Record<string, unknown>): Record<string, unknown> {
  return {
    id: r.id,
    uuid: r.uuid,
    advanced_report_id: r.advanced_report_id,
    advanced_report_name: r.report ?? null,
    report: r.report_name,
    file_name: r.file_name ?? null,
    file_type: 'xlsx',
    file_size_bytes: r.size ?? 0,
    create_datetime: r.created_datetime_utc,
    scheduled_datetime_utc: new Date(r.slot_utc as number).toISOString().slice(0, 19),
    reporting_period_start_datetime: r.reporting_start_local ?? null,
    reporting_period_end_datetime: r.reporting_end_local ?? null,
    status: r.status,
    attempts: r.attempts,
    last_error: r.last_error ?? null,
    email_status: r.email_status,
    email_attempts: r.email_attempts,
    email_error: r.email_error ?? null,
  };
}

const startOf = (ms: number, zone: string, unit: PeriodType): number => periodStartOf(ms, zone, unit);
const previous = (start: number, zone: string, unit: PeriodType): number => periodStartOf(start - 1, zone, unit);
function addMonth(day: number, zone: string): number {
  const local = localString(day, zone);
  const y = Number(local.slice(0, 4));
  const m = Number(local.slice(5, 7));
  const d = Number(local.slice(8, 10));
  const ny = m === 12 ? y + 1 : y;
  const nm = m === 12 ? 1 : m + 1;
  const last = new Date(Date.UTC(ny, nm, 0)).getUTCDate();
  return parseLocal(`${ny}-${String(nm).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}T00:00:00`, zone)!;
}
