/**
 * The outbox service: sends queued e-mail messages through the configured email server (the `emailservers`
 * entity, table email_servers: host, port, requires_authentication, user_name, password, from_addr) over
 * SMTP. A failed send is retried on the next rounds; after MAX_ATTEMPTS it is marked 'timeout'. Text and
 * WeChat messages stay queued with status 'new' until a gateway for them is configured (none is built in).
 */
import type { Store } from '../store/store';

export const MAX_ATTEMPTS = 5;

export interface EmailServerConfig {
  host: string;
  port: number;
  requires_authentication: boolean;
  user_name: string | null;
  password: string | null;
  from_addr: string;
}

interface EmailRow {
  id: number;
  recipient_name: string;
  recipient_email: string;
  subject: string;
  message: string;
  attempts: number;
}

/** The first configured email server, or null when none is (or the entity is not in this build). */
export function emailServerFromStore(store: Store): EmailServerConfig | null {
  const has = store.db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='email_servers'").get();
  if (!has) return null;
  const r = store.db.prepare('SELECT * FROM email_servers ORDER BY id LIMIT 1').get() as Record<string, unknown> | undefined;
  if (!r || typeof r.host !== 'string' || !r.host) return null;
  return {
    host: r.host,
    port: Number(r.port ?? 25),
    requires_authentication: r.requires_authentication === 1 || r.requires_authentication === true,
    user_name: (r.user_name as string | null) ?? null,
    password: (r.password as string | null) ?? null,
    from_addr: String(r.from_addr ?? ''),
  };
}

export interface OutboxOptions {
  store: Store;
  intervalMs?: number;
  emailServer?: () => EmailServerConfig | null;
  log?: (line: string) => void;
  now?: () => number;
}

export class MessageOutbox {
  readonly name = 'outbox';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly opts: OutboxOptions) {}

  start(): void {
    const ms = this.opts.intervalMs ?? 10_000;
    if (ms > 0) {
      this.timer = setInterval(() => void this.flush(), ms);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Sends what is due; concurrent calls share one round. */
  flush(): Promise<{ sent: number; failed: number }> {
    if (this.running) return this.running as Promise<{ sent: number; failed: number }>;
    // never an unhandled rejection (a closed store during shutdown, a broken row): log and try again next round
    const p = this.sendDueEmails()
      .catch((e: Error) => {
        this.opts.log?.(`outbox: ${e.message}`);
        return { sent: 0, failed: 0 };
      })
      .finally(() => {
        this.running = null;
      });
    this.running = p;
    return p;
  }

  private async sendDueEmails(): Promise<{ sent: number; failed: number }> {
    const { store } = this.opts;
    const nowIso = new Date((this.opts.now ?? Date.now)()).toISOString().slice(0, 19);
    const due = store.db
      .prepare("SELECT id, recipient_name, recipient_email, subject, message, attempts FROM email_messages WHERE status = 'new' AND (scheduled_datetime IS NULL OR scheduled_datetime <= ?) ORDER BY id LIMIT 100")
      .all(nowIso) as EmailRow[];
    if (due.length === 0) return { sent: 0, failed: 0 };
    const server = (this.opts.emailServer ?? (() => emailServerFromStore(store)))();
    if (!server) {
      this.fail(due, 'no email server is configured (add one under /api/emailservers)');
      return { sent: 0, failed: due.length };
    }
    const { default: nodemailer } = await import('nodemailer'); // on first send, not at start-up
    const transport = nodemailer.createTransport({
      host: server.host,
      port: server.port,
      secure: server.port === 465,
      auth: server.requires_authentication && server.user_name ? { user: server.user_name, pass: server.password ?? '' } : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    let sent = 0;
    let failed = 0;
    try {
      for (const m of due) {
        try {
          await transport.sendMail({
            from: server.from_addr,
            to: { name: m.recipient_name, address: m.recipient_email },
            subject: m.subject,
            text: m.message,
          });
          store.db.prepare("UPDATE email_messages SET status = 'sent', attempts = attempts + 1, last_error = NULL, sent_datetime = ? WHERE id = ?").run(new Date().toISOString().slice(0, 19), m.id);
          sent++;
        } catch (e) {
          this.fail([m], (e as Error).message);
          failed++;
        }
      }
    } finally {
      transport.close();
    }
    return { sent, failed };
  }

  private fail(rows: EmailRow[], error: string): void {
    const upd = this.opts.store.db.prepare('UPDATE email_messages SET attempts = attempts + 1, last_error = ?, status = CASE WHEN attempts + 1 >= ? THEN \'timeout\' ELSE status END WHERE id = ?');
    for (const r of rows) upd.run(error.slice(0, 2000), MAX_ATTEMPTS, r.id);
    this.opts.log?.(`outbox: ${rows.length} e-mail(s) not sent: ${error}`);
  }
}
