/**
 * The central API: the sites (edge nodes) the Sparkplug hosts know, with their health; a site's devices and
 * metrics with latest values; a metric's history through the central store. Object-level permission as elsewhere:
 * a user limited to spaces sees the sites of the hosts bound to one of their spaces (`space_id`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, forbidden, notFound } from '../api/errors';
import { dataOf, idParam, principalOf } from '../api/server';
import { sendCommand } from './commands';
import type { RuntimeContext } from '../feature';
import { parseTime } from '../historian/feature';
import { downsample } from '../historian/storage';
import type { CentralService } from './service';
import type { MetricRow, SiteRow } from './storage';

export const MAX_HISTORY = 100_000;
const DEFAULT_HISTORY_POINTS = 2_000;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function siteOut(s: SiteRow, hosts: Map<number, { name: string }>) {
  return {
    id: s.id,
    group_id: s.group_id,
    edge_node_id: s.edge_node_id,
    host: hosts.has(s.host_config_id) ? { id: s.host_config_id, name: hosts.get(s.host_config_id)!.name } : null,
    online: s.online,
    status: s.status ?? (s.online ? 'online' : 'offline'),
    bd_seq: s.bd_seq,
    last_birth: iso(s.last_birth),
    last_death: iso(s.last_death),
    last_seen: iso(s.last_seen),
    seq_gaps: s.seq_gaps,
    rebirths: s.rebirths,
    values_received: s.values_received,
    devices: s.devices,
    devices_online: s.devices_online,
  };
}

const metricOut = (m: MetricRow, writable: boolean) => ({
  id: m.id,
  device_id: m.device_id || null,
  name: m.name,
  alias: m.alias,
  datatype: m.datatype,
  unit: m.unit,
  value: m.last_text ?? m.last_num,
  utc_date_time: iso(m.last_ts),
  /** the current birth marks it Writable (a command may be sent: PUT …/write) */
  writable,
});

export function registerCentralRoutes(app: FastifyInstance, ctx: RuntimeContext, central: CentralService): void {
  const hostRows = () => new Map((ctx.store.db.prepare('SELECT id, name, space_id FROM central_hosts').all() as { id: number; name: string; space_id: number | null }[]).map((h) => [h.id, h]));

  /** the sites this caller may see */
  async function visibleSites(req: FastifyRequest) {
    const p = principalOf(req);
    const hosts = hostRows();
    let sites = await central.sites();
    if (!p.isAdmin && p.spaces !== null) {
      sites = sites.filter((s) => {
        const space = hosts.get(s.host_config_id)?.space_id ?? null;
        return space !== null && ctx.access.canSee(p, 'spaces', space);
      });
    }
    return { sites, hosts };
  }

  async function oneSite(req: FastifyRequest) {
    const id = idParam((req.params as { id: string }).id);
    const { sites, hosts } = await visibleSites(req);
    const site = sites.find((s) => s.id === id);
    if (!site) {
      // outside the privilege is a 403 whether or not it exists, as elsewhere in the API
      const p = principalOf(req);
      if (!p.isAdmin && p.spaces !== null) throw forbidden('API.NO_PRIVILEGE', `your privilege does not include site ${id}`);
      throw notFound('API.SITE_NOT_FOUND', `site ${id} does not exist`);
    }
    return { site, hosts };
  }

  app.get('/api/central/status', async (req) => {
    const p = principalOf(req);
    const store = central.store as { kind: string; partitionWidth?: string };
    return {
      store: store.kind,
      partition_width: store.partitionWidth ?? null,
      history_retention_days: central.retentionDays(),
      last_retention: p.isAdmin ? central.lastRetention : undefined,
      hosts: p.isAdmin ? central.hostStatus() : undefined,
    };
  });

  app.get('/api/central/sites', async (req) => {
    const { sites, hosts } = await visibleSites(req);
    return sites.map((s) => siteOut(s, hosts));
  });

  app.get('/api/central/sites/:id', async (req) => {
    const { site, hosts } = await oneSite(req);
    const devices = await central.store.devices(site.id);
    return { ...siteOut(site, hosts), device_list: devices.map((d) => ({ device_id: d.device_id, online: d.online, last_birth: iso(d.last_birth), last_death: iso(d.last_death) })) };
  });

  app.get('/api/central/sites/:id/metrics', async (req) => {
    const { site } = await oneSite(req);
    const writable = central.hosts.get(site.host_config_id)?.sessionOf(site.id)?.writable;
    return (await central.metrics(site)).map((m) => metricOut(m, writable?.has(m.id) ?? false));
  });

  // a command to an edge: write a metric the edge marks Writable (commands.ts); read-only users are refused by the API
  app.put('/api/central/sites/:id/metrics/:metricid/write', { config: { role: 'operate' } }, async (req, reply) => {
    const { site } = await oneSite(req);
    const metricId = idParam((req.params as { metricid: string }).metricid, 'metricid');
    const metric = (await central.metrics(site)).find((m) => m.id === metricId);
    if (!metric) throw notFound('API.METRIC_NOT_FOUND', `site ${site.id} has no metric ${metricId}`);
    const data = dataOf(req.body);
    if (!data || typeof data !== 'object' || Array.isArray(data)) throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{"value":...}}', 'data');
    const sent = await sendCommand(ctx.audit, central, principalOf(req), site, metric, data as Record<string, unknown>);
    reply.code(202);
    return sent;
  });

  app.get('/api/central/sites/:id/metrics/:metricid/history', async (req) => {
    const { site } = await oneSite(req);
    const metricId = idParam((req.params as { metricid: string }).metricid, 'metricid');
    const metric = (await central.store.metrics(site.id)).find((m) => m.id === metricId);
    if (!metric) throw notFound('API.METRIC_NOT_FOUND', `site ${site.id} has no metric ${metricId}`);
    const q = req.query as Record<string, string | undefined>;
    const end = q.enddatetime === undefined ? Date.now() : parseTime(q.enddatetime, 'enddatetime');
    const start = q.startdatetime === undefined ? end - 3_600_000 : parseTime(q.startdatetime, 'startdatetime');
    if (end < start) throw badRequest('API.INVALID_ENDDATETIME', 'enddatetime must not be before startdatetime', 'enddatetime');
    let maxPoints = DEFAULT_HISTORY_POINTS;
    if (q.maxpoints !== undefined) {
      maxPoints = Number(q.maxpoints);
      if (!Number.isInteger(maxPoints) || maxPoints < 4 || maxPoints > MAX_HISTORY) throw badRequest('API.INVALID_MAXPOINTS', `maxpoints must be an integer from 4 to ${MAX_HISTORY}`, 'maxpoints');
    }
    const rows = await central.history(site, metricId, start, end, MAX_HISTORY + 1);
    const truncated = rows.length > MAX_HISTORY;
    if (truncated) rows.length = MAX_HISTORY;
    const historical = new Set(rows.filter((r) => r.historical).map((r) => r.ts));
    const samples = rows.map((r) => ({ ts: r.ts, value: r.text ?? r.num, quality: 'good' as const }));
    const out = samples.length > maxPoints ? downsample(samples, maxPoints) : samples;
    return {
      site_id: site.id,
      metric_id: metricId,
      name: metric.name,
      device_id: metric.device_id || null,
      unit: metric.unit,
      downsampled: out !== samples,
      truncated,
      values: out.map((s) => ({ utc_date_time: iso(s.ts), value: s.value, historical: historical.has(s.ts) })),
    };
  });
}
