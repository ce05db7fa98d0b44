/**
 * Puts messages where they go: web messages and notifications for users, and e-mail, text and WeChat
 * messages into their outboxes (sent by the outbox service). One call per rule result.
 */
import type { Store } from '../store/store';

export const CHANNELS = ['WEB', 'EMAIL', 'SMS', 'WECHAT', 'CALL'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface Recipient {
  user_id?: number;
  name?: string;
  email?: string;
  mobile?: string;
  openid?: string;
}

export interface OutgoingMessage {
  channel: Channel;
  subject: string;
  body: string;
  recipients: Recipient[];
  ruleId?: number | null;
  alarmId?: number | null;
  /** WECHAT: the template id and its data */
  wechatTemplateId?: string;
  wechatData?: Record<string, unknown>;
  url?: string;
}

const nowIso = () => new Date().toISOString().slice(0, 19);

export class Messenger {
  constructor(private readonly store: Store) {}

  private users(recipients: Recipient[]): number[] {
    const ids = recipients.map((r) => r.user_id).filter((x): x is number => Number.isSafeInteger(x));
    if (ids.length) return ids.filter((id) => this.store.db.prepare('SELECT 1 FROM users WHERE id = ?').get(id));
    return (this.store.db.prepare('SELECT id FROM users ORDER BY id').all() as { id: number }[]).map((r) => r.id);
  }

  /** In-app notification for every user (or the listed ones). */
  notify(subject: string, body: string, url: string | null, recipients: Recipient[] = []): number {
    const ins = this.store.db.prepare('INSERT INTO notifications (user_id, created_datetime, status, subject, message, url) VALUES (?,?,?,?,?,?)');
    const users = this.users(recipients);
    this.store.tx(() => {
      for (const u of users) ins.run(u, nowIso(), 'unread', subject.slice(0, 255), body, url);
    });
    return users.length;
  }

  /** Queues (or posts, for WEB) the message on its channel; returns how many messages were created. */
  send(m: OutgoingMessage): number {
    const db = this.store.db;
    const now = nowIso();
    let n = 0;
    this.store.tx(() => {
      switch (m.channel) {
        case 'WEB': {
          const ins = db.prepare('INSERT INTO web_messages (user_id, rule_id, alarm_id, subject, message, created_datetime, status) VALUES (?,?,?,?,?,?,?)');
          for (const u of this.users(m.recipients)) n += ins.run(u, m.ruleId ?? null, m.alarmId ?? null, m.subject.slice(0, 255), m.body, now, 'new').changes;
          break;
        }
        case 'EMAIL': {
          const ins = db.prepare(
            'INSERT INTO email_messages (rule_id, recipient_name, recipient_email, subject, message, created_datetime, scheduled_datetime, status, attempts) VALUES (?,?,?,?,?,?,?,?,0)',
          );
          for (const r of m.recipients) if (r.email) n += ins.run(m.ruleId ?? null, r.name ?? r.email, r.email, m.subject.slice(0, 255), m.body, now, now, 'new').changes;
          break;
        }
        case 'SMS':
        case 'CALL': {
          const ins = db.prepare(
            'INSERT INTO text_messages (rule_id, recipient_name, recipient_mobile, message, created_datetime, scheduled_datetime, acknowledge_code, status, attempts) VALUES (?,?,?,?,?,?,?,?,0)',
          );
          for (const r of m.recipients) {
            if (r.mobile) n += ins.run(m.ruleId ?? null, r.name ?? r.mobile, r.mobile, m.body.slice(0, 2000), now, now, ackCode(), 'new').changes;
          }
          break;
        }
        case 'WECHAT': {
          const ins = db.prepare(
            'INSERT INTO wechat_messages (rule_id, recipient_name, recipient_openid, message_template_id, message_data, created_datetime, scheduled_datetime, acknowledge_code, status, attempts) VALUES (?,?,?,?,?,?,?,?,?,0)',
          );
          const data = JSON.stringify(m.wechatData ?? { subject: m.subject, message: m.body });
          for (const r of m.recipients) {
            if (r.openid) n += ins.run(m.ruleId ?? null, r.name ?? r.openid, r.openid, m.wechatTemplateId ?? '', data, now, now, ackCode(), 'new').changes;
          }
          break;
        }
      }
    });
    return n;
  }
}

const ackCode = () => Math.floor(100000 + Math.random() * 900000).toString();
