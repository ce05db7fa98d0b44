import { badRequest } from '../api/errors';
import type { EntityDef } from '../model/types';
import { checkPasswordPolicy, hashPasswordSync, newSecret, secretHash } from './passwords';
import { API_KEY_SCOPES } from './service';

const privilegeData = (v: unknown): string | null => {
  try {
    const d = JSON.parse(String(v));
    if (!d || typeof d !== 'object' || !Array.isArray(d.spaces) || !d.spaces.every((x: unknown) => Number.isSafeInteger(x))) {
      return 'data must be JSON like {"spaces":[1,3]}';
    }
    return null;
  } catch {
    return 'data must be JSON like {"spaces":[1,3]}';
  }
};

export const privileges: EntityDef = {
  key: 'privileges',
  path: 'privileges',
  table: 'privileges',
  label: 'Privilege',
  group: 'Users',
  uuid: false,
  fields: [
    { name: 'name', type: 'string', required: true },
    { name: 'data', type: 'json', required: true, check: privilegeData, help: 'the spaces (and their sub-spaces) a non-admin user sees: {"spaces":[1,3]}' },
  ],
  export: false,
  import: false,
  clone: false,
};

export const users: EntityDef = {
  key: 'users',
  path: 'users',
  table: 'users',
  label: 'User',
  group: 'Users',
  fields: [
    { name: 'name', type: 'string', required: true, maxLength: 128 },
    { name: 'display_name', type: 'string', required: true, maxLength: 128 },
    { name: 'email', type: 'string', required: true, unique: true, check: (v) => (/^[^@\s]+@[^@\s]+$/.test(String(v)) ? null : 'email must be an e-mail address') },
    { name: 'is_admin', type: 'boolean', default: false },
    { name: 'is_read_only', type: 'boolean', default: false },
    { name: 'privilege_id', type: 'ref', ref: 'privileges', embed: 'privilege', onDelete: 'restrict' },
    { name: 'password', type: 'string', writeOnly: true, maxLength: 500 },
    { name: 'account_expiration_datetime', type: 'datetime' },
    { name: 'password_expiration_datetime', type: 'datetime' },
    { name: 'failed_login_count', type: 'integer', readOnly: true, default: 0 },
    { name: 'is_locked', type: 'boolean', readOnly: true, default: false },
    { name: 'locked_until_datetime_utc', type: 'datetime', readOnly: true, help: 'failed logins lock an account until this time (each further failure doubles the lock)' },
    { name: 'last_login_datetime_utc', type: 'datetime', readOnly: true },
  ],
  readAdminOnly: true,
  hooks: {
    beforeWrite: (values, ctx) => {
      if (ctx.existing === null && (values.password === null || values.password === undefined)) {
        throw badRequest('API.INVALID_PASSWORD', 'password is required', 'password');
      }
      if (values.password !== undefined && values.password !== null) {
        const problem = checkPasswordPolicy(values.password, String(values.name ?? ctx.existing?.name ?? ''));
        if (problem) throw badRequest('API.INVALID_PASSWORD', problem, 'password');
        values.password = hashPasswordSync(values.password as string);
      } else {
        delete values.password;
      }
      if (ctx.existing === null) {
        values.failed_login_count = 0;
        values.is_locked = 0;
      }
    },
  },
  export: false,
  import: false,
  clone: false,
};

/**
 * API keys: the secret is shown once, in the answer to its creation, and stored only as a hash.
 */
export const apikeys: EntityDef = {
  key: 'apikeys',
  path: 'apikeys',
  table: 'api_keys',
  label: 'API Key',
  group: 'Users',
  uuid: false,
  fields: [
    { name: 'name', type: 'string', required: true },
    { name: 'token_hash', type: 'string', writeOnly: true, readOnly: true },
    { name: 'token_hint', type: 'string', readOnly: true },
    { name: 'created_datetime_utc', type: 'datetime', readOnly: true },
    { name: 'expires_datetime_utc', type: 'datetime', required: true },
    {
      name: 'user_id',
      type: 'ref',
      ref: 'users',
      embed: 'user',
      onDelete: 'cascade',
      help: 'the user the key acts as (its role and privilege); the administrator creating it when not given',
    },
    {
      name: 'scope',
      type: 'enum',
      values: API_KEY_SCOPES,
      default: 'user',
      help: "'user': everything its user may do; 'read-only': its user's reads only; 'participants': only the Ecosuite participants API (/api/dr/participants)",
    },
  ],
  hooks: {
    beforeWrite: (values, ctx) => {
      if (ctx.existing === null) {
        values.user_id = values.user_id ?? ctx.userId;
        const secret = newSecret();
        values.token_hash = secretHash(secret);
        values.token_hint = `${secret.slice(0, 6)}…`;
        values.created_datetime_utc = new Date().toISOString().slice(0, 19);
        // shown once: the create route merges ctx.reply into its answer
        if (ctx.reply) ctx.reply.token = secret;
      }
    },
  },
  readAdminOnly: true,
  export: false,
  import: false,
  clone: false,
};
