import type { TestRuntime } from '../support/runtime';

type Api = TestRuntime['api'];

export const t = (s: string) => Date.parse(s);

async function ok<T>(api: Api, method: string, route: string, data?: unknown): Promise<T> {
  const r = await api<T>(method, route, data);
  if (r.status >= 300) throw new Error(`${method} ${route} -> ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** the configuration the energy tests share: a manual data source, an electricity category, zones by name */
export async function energySetup(api: Api) {
  const gw = await ok<{ id: number }>(api, 'POST', '/gateways', { name: 'Energy GW' });
  const ds = await ok<{ id: number }>(api, 'POST', '/datasources', { name: 'Loggers', gateway_id: gw.id, protocol: 'manual', connection: '{}' });
  const cats = await ok<{ id: number; name: string }[]>(api, 'GET', '/energycategories');
  const electricity = cats.find((c) => c.name === 'Electricity')!.id;
  const zones = await ok<{ id: number; iana_name: string }[]>(api, 'GET', '/timezones');
  const zone = (iana: string) => zones.find((z) => z.iana_name === iana)!.id;
  const costCenter = async (name: string, tariffs: Record<string, unknown>[] = []) => {
    const cc = await ok<{ id: number }>(api, 'POST', '/costcenters', { name });
    for (const tariff of tariffs) {
      const tr = await ok<{ id: number }>(api, 'POST', '/tariffs', { energy_category_id: electricity, unit_of_price: 'EUR/kWh', ...tariff });
      await ok(api, 'POST', `/costcenters/${cc.id}/tariffs`, { tariff_id: tr.id });
    }
    return cc.id;
  };
  const defaultCc = await costCenter('No tariff');
  let n = 0;
  const meter = async (name: string, opts: { address?: Record<string, unknown>; costCenter?: number; high?: number; low?: number; category?: number } = {}) => {
    n++;
    const p = await ok<{ id: number }>(api, 'POST', '/points', {
      name: `${name} energy ${n}`,
      data_source_id: ds.id,
      object_type: 'ENERGY_VALUE',
      units: 'kWh',
      ratio: 1,
      is_trend: true,
      is_virtual: false,
      address: JSON.stringify(opts.address ?? {}),
    });
    const m = await ok<{ id: number }>(api, 'POST', '/meters', {
      name,
      energy_category_id: opts.category ?? electricity,
      is_counted: true,
      hourly_low_limit: opts.low ?? 0,
      hourly_high_limit: opts.high ?? 100,
      cost_center_id: opts.costCenter ?? defaultCc,
    });
    await ok(api, 'POST', `/meters/${m.id}/points`, { point_id: p.id });
    return { meter: m.id, point: p.id };
  };
  const space = async (name: string, iana: string, parent: number | null = null, extra: Record<string, unknown> = {}) =>
    (await ok<{ id: number }>(api, 'POST', '/spaces', { name, parent_space_id: parent, area: 100, timezone_id: zone(iana), ...extra })).id;
  const bind = (spaceId: number, rel: string, body: Record<string, number>) => ok(api, 'POST', `/spaces/${spaceId}/${rel}`, body);
  const history = (point: number, rows: [string, number][]) =>
    ok<{ imported: number; replaced: number }>(api, 'POST', `/points/${point}/history`, rows.map(([utc_date_time, value]) => ({ utc_date_time, value })));
  return { electricity, zone, costCenter, meter, space, bind, history, ok: <T>(m: string, r: string, d?: unknown) => ok<T>(api, m, r, d) };
}

/** hourly readings: each hour's rise given, starting from `start` at `from` */
export function hourly(startIso: string, from: number, rises: number[]): [string, number][] {
  const out: [string, number][] = [[new Date(t(startIso)).toISOString(), from]];
  let v = from;
  rises.forEach((r, i) => {
    v += r;
    out.push([new Date(t(startIso) + (i + 1) * 3_600_000).toISOString(), v]);
  });
  return out;
}
