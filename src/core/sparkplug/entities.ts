/**
 * Sparkplug B edge nodes, declared through the entity registry (table, validation, routes and the configuration
 * form come with it): `/api/sparkplugnodes`. One row is one edge node on one broker; the runtime publishes every
 * enabled row (a change takes effect at once: the node reconnects and rebirths).
 */
import type { EntityDef, FieldDef } from '../model/types';
import { bool, description, name, num, ref } from '../model/entities/fields';
import { INVALID_ID_CHARS } from './wire';

const sparkplugId = (field: string, label: string, help: string, required = true): FieldDef => ({
  name: field,
  label,
  type: 'string',
  required,
  maxLength: 100,
  help,
  check: (v) => (typeof v === 'string' && INVALID_ID_CHARS.test(v) ? `${field} must not contain '/', '+' or '#' (it is an MQTT topic level)` : null),
});

function parsed(v: unknown): unknown {
  try {
    return typeof v === 'string' ? JSON.parse(v) : v;
  } catch {
    return undefined;
  }
}

const idList = (field: string, help: string): FieldDef => ({
  name: field,
  type: 'json',
  default: '[]',
  help,
  check: (v) => {
    const a = parsed(v);
    return Array.isArray(a) && a.every((x) => Number.isSafeInteger(x) && (x as number) > 0) ? null : `${field} must be a JSON array of ids, e.g. [1, 2]`;
  },
});

export const BROKER_URL = /^(mqtt|mqtts|tcp|ssl):\/\/[^\s/]+(:\d{1,5})?\/?$/;

export const sparkplugnodes: EntityDef = {
  key: 'sparkplugnodes',
  path: 'sparkplugnodes',
  table: 'sparkplug_nodes',
  label: 'Sparkplug Edge Node',
  group: 'Integration',
  clone: false,
  fields: [
    name,
    bool('is_enabled', true),
    {
      name: 'broker_url',
      type: 'string',
      required: true,
      help: 'mqtt://host:1883 or mqtts://host:8883 (TLS)',
      check: (v) => (typeof v === 'string' && BROKER_URL.test(v) ? null : 'broker_url must look like mqtt://host:1883 or mqtts://host:8883'),
    },
    {
      name: 'tls',
      type: 'json',
      default: '{}',
      adminOnly: true,
      help: 'for mqtts://: {"ca":"PEM","cert":"PEM","private_key":"PEM","key_password":"…","reject_unauthorized":true,"servername":"…"}; the private key and its password are write-only',
      check: (v) => {
        const t = parsed(v);
        if (t === null || typeof t !== 'object' || Array.isArray(t)) return 'tls must be a JSON object';
        const o = t as Record<string, unknown>;
        for (const k of Object.keys(o)) {
          if (!['ca', 'cert', 'private_key', 'key_password', 'reject_unauthorized', 'servername'].includes(k)) return `tls.${k} is not a TLS option (ca, cert, private_key, key_password, reject_unauthorized, servername)`;
        }
        if ('reject_unauthorized' in o && typeof o.reject_unauthorized !== 'boolean') return 'tls.reject_unauthorized must be true or false';
        return null;
      },
    },
    { name: 'username', type: 'string', help: 'MQTT user name (empty: anonymous)' },
    { name: 'password', type: 'string', writeOnly: true, help: 'MQTT password; write-only (leave it out to keep the stored one)' },
    sparkplugId('group_id', 'Group ID', 'the Sparkplug group id (topic spBv1.0/<group_id>/…)'),
    { ...sparkplugId('edge_node_id', 'Edge node ID', 'the edge node id, unique within its group'), uniqueWith: 'group_id' },
    sparkplugId('primary_host_id', 'Primary host ID', 'optional: the primary host application id; data is held in the outbox while its STATE is offline', false),
    { name: 'point_selection', type: 'enum', values: ['all', 'spaces', 'list'], default: 'all', help: 'which points are published: all, those bound to space_ids (and their sub-spaces), or point_ids' },
    idList('space_ids', 'spaces whose points are published when point_selection is "spaces"'),
    idList('point_ids', 'the points published when point_selection is "list"'),
    num('deadband', { min: 0, default: 0, help: 'a numeric value is published when it moves more than this from the last one sent (0: every change)' }),
    {
      name: 'deadbands',
      type: 'json',
      default: '{}',
      help: 'per point deadbands overriding the default, e.g. {"12": 0.5}',
      check: (v) => {
        const o = parsed(v);
        if (o === null || typeof o !== 'object' || Array.isArray(o)) return 'deadbands must be a JSON object of point id -> deadband';
        for (const [k, d] of Object.entries(o as Record<string, unknown>)) {
          if (!/^\d+$/.test(k) || typeof d !== 'number' || !(d >= 0)) return `deadbands.${k} must be a point id with a number >= 0`;
        }
        return null;
      },
    },
    bool('commands_enabled', false),
    idList('writable_point_ids', 'points a host may write with DCMD (only when commands_enabled); every write goes through the control arbiter'),
    ref('command_user_id', 'users', 'command_user', {
      onDelete: 'setNull',
      help: 'the user whose permission and name a host command acts with (must not be read-only)',
      requiredWhen: { test: (r) => r.commands_enabled === 1 || r.commands_enabled === true, because: 'when commands_enabled is true' },
    }),
    { name: 'publish_interval_ms', type: 'integer', min: 50, max: 60_000, default: 250, help: 'how often changes are gathered into NDATA/DDATA' },
    { name: 'outbox_max_mb', type: 'number', min: 1, max: 100_000, default: 2048, help: 'store-and-forward: the outbox holds at most this much; the oldest is dropped (and counted) beyond it' },
    { name: 'outbox_max_age_hours', type: 'number', min: 0.01, max: 8760, default: 168, help: 'store-and-forward: what is older is dropped (and counted)' },
    { name: 'historical_per_tick', type: 'integer', min: 1, max: 100_000, default: 200, help: 'outbox messages sent per publish tick after a reconnect, interleaved with live data' },
    description,
  ],
};
