/**
 * The MyEMS message entities: web messages and notifications (per user, reached through their own routes),
 * and the outboxes of e-mail, text (SMS) and WeChat messages (generated CRUD, sent by the outbox service).
 */
import type { EntityDef, FieldDef } from '../model/types';

const nowIso = () => new Date().toISOString().slice(0, 19);
const isEmail = (v: unknown) => (/^[^@\s<>]+@[^@\s<>]+$/.test(String(v)) ? null : 'recipient_email must be an e-mail address');
const isMobile = (v: unknown) => (/^\+?[0-9 ()-]{3,32}$/.test(String(v)) ? null : 'recipient_mobile must be a phone number');

const ruleRef: FieldDef = { name: 'rule_id', type: 'ref', ref: 'rules', embed: 'rule', onDelete: 'setNull' };
const created: FieldDef = { name: 'created_datetime', type: 'datetime', readOnly: true };
const scheduled: FieldDef = { name: 'scheduled_datetime', type: 'datetime', help: 'not sent before this time (UTC); empty = at once' };
const stampCreated = {
  beforeWrite: (input: Record<string, unknown>, ctx: { id: number | null }) => {
    if (ctx.id === null) input.created_datetime = nowIso();
  },
};

export const webmessages: EntityDef = {
  key: 'webmessages',
  path: null,
  table: 'web_messages',
  label: 'Web Message',
  group: 'Messages',
  uuid: false,
  nameField: null,
  export: false,
  import: false,
  clone: false,
  fields: [
    { name: 'user_id', type: 'ref', ref: 'users', embed: 'user', required: true, onDelete: 'cascade' },
    ruleRef,
    { name: 'alarm_id', type: 'integer' },
    { name: 'subject', type: 'string', required: true },
    { name: 'message', type: 'text', required: true },
    created,
    { name: 'status', type: 'enum', values: ['new', 'read', 'acknowledged', 'timeout'], default: 'new' },
    { name: 'reply', type: 'text', maxLength: 10_000 },
  ],
};

export const notifications: EntityDef = {
  key: 'notifications',
  path: null,
  table: 'notifications',
  label: 'Notification',
  group: 'Messages',
  uuid: false,
  nameField: null,
  export: false,
  import: false,
  clone: false,
  fields: [
    { name: 'user_id', type: 'ref', ref: 'users', embed: 'user', required: true, onDelete: 'cascade' },
    created,
    { name: 'status', type: 'enum', values: ['unread', 'read', 'archived'], default: 'unread' },
    { name: 'subject', type: 'string', required: true },
    { name: 'message', type: 'text', required: true },
    { name: 'url', type: 'string' },
  ],
};

const outbox = (extra: FieldDef[], statuses: string[]): FieldDef[] => [
  ruleRef,
  { name: 'recipient_name', type: 'string', required: true },
  ...extra,
  created,
  scheduled,
  { name: 'status', type: 'enum', values: statuses, readOnly: true, default: 'new' },
  { name: 'attempts', type: 'integer', readOnly: true, default: 0 },
  { name: 'last_error', type: 'string', readOnly: true, maxLength: 2000 },
  { name: 'sent_datetime', type: 'datetime', readOnly: true },
];

export const emailmessages: EntityDef = {
  key: 'emailmessages',
  path: 'emailmessages',
  table: 'email_messages',
  label: 'Email Message',
  group: 'Messages',
  uuid: false,
  nameField: null,
  clone: false,
  hooks: stampCreated,
  fields: outbox(
    [
      { name: 'recipient_email', type: 'string', required: true, check: isEmail },
      { name: 'subject', type: 'string', required: true },
      { name: 'message', type: 'text', required: true },
      { name: 'attachment_file_name', type: 'string' },
    ],
    ['new', 'sent', 'timeout'],
  ),
};

export const textmessages: EntityDef = {
  key: 'textmessages',
  path: 'textmessages',
  table: 'text_messages',
  label: 'Text Message',
  group: 'Messages',
  uuid: false,
  nameField: null,
  clone: false,
  hooks: stampCreated,
  fields: outbox(
    [
      { name: 'recipient_mobile', type: 'string', required: true, check: isMobile },
      { name: 'message', type: 'text', required: true, maxLength: 2000 },
      { name: 'acknowledge_code', type: 'string', maxLength: 64 },
    ],
    ['new', 'sent', 'acknowledged', 'timeout'],
  ),
};

export const wechatmessages: EntityDef = {
  key: 'wechatmessages',
  path: 'wechatmessages',
  table: 'wechat_messages',
  label: 'Wechat Message',
  group: 'Messages',
  uuid: false,
  nameField: null,
  clone: false,
  hooks: stampCreated,
  fields: outbox(
    [
      { name: 'recipient_openid', type: 'string', required: true, maxLength: 128 },
      { name: 'message_template_id', type: 'string', required: true },
      { name: 'message_data', type: 'json', required: true },
      { name: 'acknowledge_code', type: 'string', maxLength: 64 },
    ],
    ['new', 'sent', 'acknowledged', 'timeout'],
  ),
};

export const messageEntities: EntityDef[] = [webmessages, notifications, emailmessages, textmessages, wechatmessages];
