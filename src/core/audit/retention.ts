import { MAX_RETENTION_DAYS } from '../api/retention-setting';
import type { Service } from '../feature';
import type { Settings } from '../store/settings';
import type { Store } from '../store/store';

/** the setting holding how many days of audit log are kept */
export const AUDIT_RETENTION_KEY = 'audit.retention_days';
/** three years unless an administrator sets otherwise */
export const DEFAULT_AUDIT_RETENTION_DAYS = 1095;
/** rows deleted per step; the event loop gets a turn between steps so a large purge never holds up scans */
const PURGE_STEP = 2000;
const PURGE_EVERY_MS = 3_600_000;
const FIRST_PURGE_MS = 10_000;

/**
 * Keeps the audit log within its retention: automatic setpoint writes (schedules, storage, demand response) add a
 * row each, so without it the table grows without bound. Deletes by utc_date_time in slices of PURGE_STEP rows by
 * id (the same statement runs on the PostgreSQL store), 10 s after start and hourly.
 */
export class AuditRetention implements Service {
  readonly name = 'audit retention';
  private running = false;
  private purging: Promise<number> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private first: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly settings: Settings,
    private readonly log: (msg: string) => void,
  ) {}

  /** the retention in days: the setting, or the default when it is missing or not a whole number of days */
  days(): number {
    const n = Number(this.settings.get(AUDIT_RETENTION_KEY));
    return Number.isInteger(n) && n >= 1 && n <= MAX_RETENTION_DAYS ? n : DEFAULT_AUDIT_RETENTION_DAYS;
  }

  /** Deletes entries older than the retention; resolves to how many. One purge at a time (a second waits). */
  async purge(): Promise<number> {
    while (this.purging) await this.purging.catch(() => 0);
    this.purging = (async () => {
      const before = new Date(Date.now() - this.days() * 86_400_000).toISOString();
      const step = this.store.db.prepare(
        `DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE utc_date_time < ? ORDER BY id LIMIT ${PURGE_STEP})`,
      );
      let total = 0;
      for (;;) {
        const n = step.run(before).changes;
        total += n;
        if (n < PURGE_STEP) break;
        await new Promise((r) => setImmediate(r));
        if (!this.running) break;
      }
      if (total) this.log(`audit: purged ${total} entries older than ${before}`);
      return total;
    })().finally(() => {
      this.purging = null;
    });
    return this.purging;
  }

  private scheduled(): void {
    this.purge().catch((e: Error) => this.log(`audit: purge failed: ${e.message}`));
  }

  start(): void {
    this.running = true;
    this.first = setTimeout(() => this.scheduled(), FIRST_PURGE_MS);
    this.timer = setInterval(() => this.scheduled(), PURGE_EVERY_MS);
    this.first.unref();
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.first) clearTimeout(this.first);
    if (this.timer) clearInterval(this.timer);
    this.first = this.timer = null;
    // the store closes after the services: a purge in its last step finishes first
    await this.purging?.catch(() => 0);
  }
}
