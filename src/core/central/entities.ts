/**
 * The Sparkplug host applications this installation runs, declared through the entity registry (table, validation,
 * routes at /api/sparkplughosts and the configuration form come with it). Password and TLS key are write-only:
 * never answered, kept when an update leaves them out.
 */
import type { EntityDef } from '../model/types';
import { bool, description, name, ref } from '../model/entities/fields';

/** Sparkplug ids (host, group): no MQTT separators or wildcards, as the 3.0 specification requires */
const ID = /^[^/+#\s]+$/;

export function groupIds(value: unknown): string[] {
  return String(value ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
}

export const sparkplughosts: EntityDef = {
  key: 'sparkplughosts',
  path: 'sparkplughosts',
  table: 'central_hosts',
  label: 'Sparkplug Host',
  group: 'Central',
  readAdminOnly: true,
  fields: [
    name,
    {
      name: 'broker_url',
      type: 'string',
      required: true,
      help: 'the MQTT broker the edge nodes publish to: mqtt://host:1883 or mqtts://host:8883',
      check: (v) => (/^mqtts?:\/\/[^\s/:]+(:\d{1,5})?\/?$/.test(String(v)) ? null : 'broker_url must be mqtt://host[:port] or mqtts://host[:port]'),
    },
    {
      name: 'host_id',
      type: 'string',
      required: true,
      maxLength: 100,
      help: 'the Sparkplug host id: STATE is published on spBv1.0/STATE/{host_id}',
      check: (v) => (ID.test(String(v)) ? null : 'host_id must not contain /, +, # or spaces'),
    },
    {
      name: 'group_ids',
      type: 'string',
      required: true,
      maxLength: 2000,
      help: 'the Sparkplug groups to subscribe to, separated by commas',
      check: (v) => {
        const ids = groupIds(v);
        if (!ids.length) return 'group_ids needs at least one group id';
        const bad = ids.find((g) => !ID.test(g));
        return bad ? `group id "${bad}" must not contain /, +, # or spaces` : null;
      },
    },
    {
      name: 'username',
      type: 'string',
      help: 'MQTT user name (empty: none)',
      requiredWhen: { test: (r) => typeof r.password === 'string' && r.password !== '', because: 'when a password is given (MQTT sends no password without a user name)' },
    },
    { name: 'password', type: 'string', writeOnly: true, help: 'MQTT password; never shown, kept when left out of an update' },
    { name: 'tls_ca', type: 'text', maxLength: 100_000, help: 'PEM certificate(s) of the authority that signed the broker (mqtts; empty: the system ones)' },
    { name: 'tls_cert', type: 'text', maxLength: 100_000, help: 'PEM client certificate, when the broker asks for one' },
    { name: 'tls_key', type: 'text', maxLength: 100_000, writeOnly: true, help: 'PEM key of the client certificate; never shown' },
    bool('tls_verify', true),
    {
      name: 'history_retention_days',
      type: 'integer',
      min: 1,
      max: 36_500,
      help: 'days of central history kept (empty: everything). The central history is one store for every host: the longest setting among the hosts applies, and none if a host keeps everything. Checked hourly and when this changes; on PostgreSQL whole partitions are dropped',
    },
    ref('space_id', 'spaces', 'space', { onDelete: 'setNull', help: 'the space whose privilege shows this host\'s sites to users limited to spaces' }),
    {
      ...bool('remote_points', true),
      help: "each site a data source and its metrics points, so every screen (Overview, Diagrams, Trends, Alarms, reports) shows them; their values are also kept by the historian (docs/central.md). Off: the Sites screen only, for hosts ingesting more than the historian should hold",
    },
    bool('is_active', true),
    description,
  ],
};
