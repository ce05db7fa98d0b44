/**
 * Builds valid rows of any configuration entity from its declaration (GET /api/meta/entities), creating what
 * each row references first. For tests that need "a tenant" or "an equipment" without caring about its fields.
 */
import type { TestRuntime } from './runtime';

export interface MetaField {
  name: string;
  type: string;
  required: boolean;
  readOnly?: boolean;
  ref?: string;
  values?: string[];
  min?: number;
}
export interface MetaEntity {
  key: string;
  path: string | null;
  nestedUnder: { entity: string; field: string; name: string } | null;
  fields: MetaField[];
  relations: { name: string; target: string; field: string }[];
  deleteBindings: boolean;
}

export async function entityMaker(rt: TestRuntime) {
  const meta = (await rt.api<MetaEntity[]>('GET', '/meta/entities')).body;
  const byKey = new Map(meta.map((m) => [m.key, m]));
  let n = 0;

  const special = async (key: string): Promise<Record<string, unknown>> => {
    switch (key) {
      case 'datasources':
        return { protocol: 'simulation', connection: '{"interval_in_seconds":3600}' };
      case 'points':
        return { address: '{"waveform":"constant"}' };
      case 'users':
        return { password: 'Maker-Pass-1' };
      case 'sparkplughosts':
        return { broker_url: 'mqtt://127.0.0.1:1', host_id: `maker-${++n}`, group_ids: 'maker', is_active: false };
      case 'tariffs':
        return { tariff_type: 'timeofuse', timeofuse: [{ start_time_of_day: '00:00:00', end_time_of_day: '23:59:59', peak_type: 'offpeak', price: 0.2 }] };
      case 'sparkplugnodes':
        return { broker_url: 'mqtt://127.0.0.1:1', is_enabled: false };
      case 'virtualmeters':
        return { expression: { equation: 'x1', variables: [{ name: 'x1', meter_type: 'meter', meter_id: await make('meters') }] } };
      default:
        return {};
    }
  };

  const value = async (m: MetaEntity, f: MetaField): Promise<unknown> => {
    switch (f.type) {
      case 'string':
        if (f.name === 'utc_offset') return '+01:00';
        if (f.name === 'email') return `person${++n}@site.example`;
        if (f.name === 'iana_name') return 'Europe/Vienna';
        if (f.name.endsWith('meter_uuid')) return (await rt.api<{ uuid: string }>('GET', `/meters/${await make('meters')}`)).body.uuid;
        return `${m.key} ${f.name} ${++n}`;
      case 'text':
        return f.name === 'svg' ? '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>' : 'text';
      case 'integer':
      case 'number':
        return f.min !== undefined && f.min > 1 ? f.min : 1;
      case 'boolean':
        return false;
      case 'datetime':
        return f.name.includes('end') || f.name.includes('through') ? '2027-01-01T00:00:00' : '2026-01-01T00:00:00';
      case 'time':
        return f.name.startsWith('end') ? '07:00:00' : '00:00:00';
      case 'date':
        return `2026-03-${String((n++ % 27) + 1).padStart(2, '0')}`;
      case 'enum':
        return f.values![0];
      case 'json':
        return '{}';
      case 'ref':
        return make(f.ref!);
      default:
        return null;
    }
  };

  /** Creates a row of a top-level entity (and what it references); answers its id. */
  async function make(key: string, extra: Record<string, unknown> = {}): Promise<number> {
    const m = byKey.get(key);
    if (!m?.path) throw new Error(`${key} is not a top-level entity`);
    const body: Record<string, unknown> = await special(key);
    for (const f of m.fields) if (!f.readOnly && f.required && !(f.name in body) && !(f.name in extra)) body[f.name] = await value(m, f);
    const r = await rt.api<{ id: number }>('POST', `/${m.path}`, { ...body, ...extra });
    if (r.status !== 201) throw new Error(`make ${key}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id;
  }

  return { meta: byKey, make };
}
