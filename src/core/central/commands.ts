/**
 * Commands from the central server to an edge site (Sparkplug 3.0 DCMD for a device's metric, NCMD for the node's
 * own): an authorised user writes a metric the edge's birth marks `Writable`. The central server checks what it can
 * know (the caller may write and may see the site, the site and its device are online, the metric is writable, the
 * value fits its datatype), publishes the command and audits it (`central.command`: `sent`, or `denied` with why).
 * The edge then applies it through its own control arbiter, only if its commands are enabled and the point is
 * writable (src/core/sparkplug/commands.ts); Sparkplug has no acknowledgement: the new value comes back as data.
 */
import { ApiError, badRequest, forbidden } from '../api/errors';
import type { AuditLog } from '../audit/audit';
import type { Principal } from '../auth/service';
import type { CentralService } from './service';
import type { MetricRow, SiteRow } from './storage';
import { commandValueFor } from './wire';

export interface CommandSent {
  status: 'sent';
  site_id: number;
  metric_id: number;
  topic: string;
  value: number | boolean | string;
  audit_id: number;
}

export async function sendCommand(audit: AuditLog, central: CentralService, who: Principal, site: SiteRow, metric: MetricRow, data: Record<string, unknown>): Promise<CommandSent> {
  const target = `central:${site.group_id}/${site.edge_node_id}${metric.device_id ? `/${metric.device_id}` : ''}/${metric.name}`;
  const refuse = (err: ApiError): never => {
    audit.record({ userId: who.userId, userName: who.userName, action: 'central.command', target, newValue: data.value ?? null, result: 'denied', details: { why: err.message, site_id: site.id, metric_id: metric.id } });
    throw err;
  };
  if (!('value' in data) || data.value === null || data.value === undefined) return refuse(badRequest('API.INVALID_VALUE', 'value is required', 'value'));
  const host = central.hosts.get(site.host_config_id);
  if (!host?.isConnected) return refuse(badRequest('API.HOST_NOT_CONNECTED', 'the Sparkplug host of this site is not connected to its broker'));
  const session = host.sessionOf(site.id);
  if (!session?.health.online) return refuse(badRequest('API.SITE_OFFLINE', `site ${site.edge_node_id} is offline: a command would not reach it`));
  if (metric.device_id && !session.devices.get(metric.device_id)?.online) return refuse(badRequest('API.DEVICE_OFFLINE', `device ${metric.device_id} of ${site.edge_node_id} is offline`));
  if (!session.writable?.has(metric.id)) return refuse(forbidden('API.METRIC_NOT_WRITABLE', `the edge does not let a host write ${metric.name} (its birth does not mark it Writable: commands disabled or the point not writable there)`));
  const fit = commandValueFor(metric.datatype, data.value);
  if ('error' in fit) return refuse(badRequest('API.INVALID_VALUE', fit.error, 'value'));
  let topic: string;
  try {
    topic = await host.command(session, metric, fit.value);
  } catch (e) {
    audit.record({ userId: who.userId, userName: who.userName, action: 'central.command', target, newValue: fit.value, result: 'failed', details: { why: (e as Error).message, site_id: site.id, metric_id: metric.id } });
    throw new ApiError(503, 'API.SERVICE_UNAVAILABLE', 'API.COMMAND_NOT_SENT', `the command was not sent: ${(e as Error).message}`);
  }
  const auditId = audit.record({ userId: who.userId, userName: who.userName, action: 'central.command', target, oldValue: metric.last_text ?? metric.last_num, newValue: fit.value, result: 'sent', details: { topic, site_id: site.id, metric_id: metric.id, datatype: metric.datatype } });
  return { status: 'sent', site_id: site.id, metric_id: metric.id, topic, value: fit.value, audit_id: auditId };
}
