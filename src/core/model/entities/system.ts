import { principalOf } from '../../api/server';
import type { EntityDef } from '../types';
import { bool, description, name } from './fields';

export const menus: EntityDef = {
  key: 'menus',
  path: 'menus',
  table: 'menus',
  label: 'Menu',
  group: 'System',
  uuid: false,
  fields: [
    name,
    { name: 'route', type: 'string', required: true, help: 'the screen the menu opens, e.g. /trends' },
    { name: 'parent_menu_id', type: 'ref', ref: 'menus', embed: 'parent_menu', onDelete: 'cascade' },
    bool('is_hidden', false),
  ],
  children: [{ name: 'children', entity: 'menus', field: 'parent_menu_id' }],
  export: false,
  import: false,
  clone: false,
  routes: (app, { store }) => {
    // the visible menus as a tree, for the navigation
    app.get('/api/menus/web', async (req) => {
      principalOf(req);
      const rows = store.db.prepare('SELECT id, name, route, parent_menu_id FROM menus WHERE is_hidden = 0 ORDER BY id').all() as { id: number; name: string; route: string; parent_menu_id: number | null }[];
      const byParent = (parent: number | null): unknown[] => rows.filter((r) => r.parent_menu_id === parent).map((r) => ({ id: r.id, name: r.name, path: r.route, children: byParent(r.id) }));
      return byParent(null);
    });
  },
};

export const advancedreports: EntityDef = {
  key: 'advancedreports',
  path: 'advancedreports',
  table: 'advanced_reports',
  label: 'Advanced Report',
  group: 'Reports',
  fields: [
    name,
    {
      name: 'expression',
      type: 'json',
      required: true,
      help: 'JSON naming what the report covers, e.g. {"space_id":1}',
      check: (v) => {
        try {
          const e = JSON.parse(String(v));
          return e && typeof e === 'object' && !Array.isArray(e) ? null : 'expression must be a JSON object such as {"space_id":1}';
        } catch {
          return 'expression must be a JSON object such as {"space_id":1}';
        }
      },
    },
    bool('is_enabled', true),
    { name: 'next_run_datetime', type: 'datetime', required: true },
    bool('is_run_immediately', false),
    { name: 'last_run_datetime', type: 'datetime', readOnly: true },
    description,
  ],
};

/** SMTP servers for e-mail messages. The password is kept readable (SMTP needs it) and never returned. */
export const emailservers: EntityDef = {
  key: 'emailservers',
  path: 'emailservers',
  table: 'email_servers',
  label: 'Email Server',
  group: 'System',
  uuid: false,
  nameField: 'host',
  nameUnique: false,
  fields: [
    { name: 'host', type: 'string', required: true },
    { name: 'port', type: 'integer', required: true, min: 1, max: 65535 },
    bool('requires_authentication', false),
    { name: 'user_name', type: 'string' },
    { name: 'password', type: 'string', writeOnly: true },
    { name: 'from_addr', type: 'string', required: true, check: (v) => (/^[^@\s]+@[^@\s]+$/.test(String(v)) ? null : 'from_addr must be an e-mail address') },
  ],
  export: false,
  import: false,
  clone: false,
};

