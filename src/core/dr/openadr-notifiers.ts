/**
 * The notifier bindings: /notifiers (WEBHOOK always; MQTT with its broker URIs and authentication when the MQTT
 * notifier is on) and the MQTT topic names of /notifiers/mqtt/topics/... (mqtt-topics.ts). Topics of all objects
 * are the business logic's (read_all, read_bl); a VEN asks for the topics of its own VEN (read_ven_objects).
 * The operator configures the notifier at /api/dr/mqtt.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../api/errors';
import { dataOf, principalOf, requireAdmin } from '../api/server';
import type { RuntimeContext } from '../feature';
import { type MqttConfig, type MqttNotifier, SETTING } from './mqtt-notifier';
import { topicSet } from './mqtt-topics';
import { type Client, forbidden, notFound, type Vtn } from './openadr-http';
import type { PartnerRow } from './openadr-wire';

export function registerNotifiers(v: Vtn): void {
  const { route, db } = v;
  const mqtt = () => v.dr.mqtt;
  route('GET', '/notifiers', () => {
    const binding = mqtt().binding();
    return { WEBHOOK: true, ...(binding ? { MQTT: binding } : {}) };
  });
  const topics = (c: Client, scope: 'bl' | { venID: string } | { programID: string }, path: string, withCreate = true) => {
    if (!mqtt().enabled) throw notFound('MQTT notifier (it is not enabled)');
    if (typeof scope === 'object' && 'venID' in scope) {
      const p = db.prepare("SELECT * FROM dr_partners WHERE uuid = ? AND role = 'ven' AND ven_name IS NOT NULL").get(scope.venID) as PartnerRow | undefined;
      if (!p || (!c.bl && p.id !== c.partner?.id)) throw notFound('ven');
    } else {
      if (!c.bl) throw forbidden('these topics carry every object: the business logic reads them; a VEN uses /notifiers/mqtt/topics/vens/{venID}/...');
      if (typeof scope === 'object' && !db.prepare('SELECT 1 FROM dr_programs WHERE uuid = ?').get(scope.programID)) throw notFound('program');
    }
    return { topics: topicSet(mqtt().prefix, path, withCreate) };
  };
  const param = (req: FastifyRequest, name: string) => (req.params as Record<string, string>)[name];
  route('GET', '/notifiers/mqtt/topics/programs', (_req, c) => topics(c, 'bl', 'programs'));
  route('GET', '/notifiers/mqtt/topics/programs/:programID', (req, c) => topics(c, { programID: param(req, 'programID') }, `programs/${param(req, 'programID')}`, false));
  route('GET', '/notifiers/mqtt/topics/programs/:programID/events', (req, c) => topics(c, { programID: param(req, 'programID') }, `programs/${param(req, 'programID')}/events`));
  for (const kind of ['events', 'reports', 'subscriptions', 'vens', 'resources']) route('GET', `/notifiers/mqtt/topics/${kind}`, (_req, c) => topics(c, 'bl', kind));
  route('GET', '/notifiers/mqtt/topics/vens/:venID', (req, c) => topics(c, { venID: param(req, 'venID') }, `vens/${param(req, 'venID')}`, false));
  for (const kind of ['events', 'programs', 'resources']) route('GET', `/notifiers/mqtt/topics/vens/:venID/${kind}`, (req, c) => topics(c, { venID: param(req, 'venID') }, `vens/${param(req, 'venID')}/${kind}`));
}

const URL_RE = /^mqtts?:\/\/[^\s/]+/;

/** The operator's MQTT notifier settings: GET shows them (the password never) with the notifier's status. */
export function registerMqttSettings(app: FastifyInstance, ctx: RuntimeContext, notifier: MqttNotifier): void {
  const saved = (): MqttConfig => JSON.parse(ctx.settings.get(SETTING) ?? '{"mode":"off"}') as MqttConfig;
  const view = () => {
    const { password, ...rest } = saved();
    return { ...rest, password_set: Boolean(password), status: notifier.status() };
  };
  app.get('/api/dr/mqtt', async (req) => {
    requireAdmin(req);
    return view();
  });
  app.put('/api/dr/mqtt', async (req) => {
    const p = principalOf(req);
    const d = (dataOf(req.body) ?? {}) as Record<string, unknown>;
    const field = (name: string, message: string) => badRequest(`API.INVALID_${name.toUpperCase()}`, message, name);
    if (!['off', 'embedded', 'broker'].includes(d.mode as string)) throw field('mode', 'mode must be off, embedded or broker');
    const prev = saved();
    const c: MqttConfig = { mode: d.mode as MqttConfig['mode'] };
    if (d.mode === 'broker') {
      if (typeof d.url !== 'string' || !URL_RE.test(d.url)) throw field('url', 'url must be the broker\'s mqtt:// or mqtts:// URL');
      c.url = d.url;
      if (d.username !== undefined && d.username !== null && typeof d.username !== 'string') throw field('username', 'username must be a string');
      if (typeof d.username === 'string' && d.username) c.username = d.username;
      // a password left out keeps the saved one
      if (d.password !== undefined && d.password !== null && typeof d.password !== 'string') throw field('password', 'password must be a string');
      const password = typeof d.password === 'string' ? d.password : prev.password;
      if (password) c.password = password;
      if (d.authentication !== undefined && d.authentication !== null) {
        const a = d.authentication as Record<string, unknown>;
        if (typeof a !== 'object' || !['ANONYMOUS', 'OAUTH2_BEARER_TOKEN', 'CERTIFICATE'].includes(a.method as string)) throw field('authentication', 'authentication.method must be ANONYMOUS, OAUTH2_BEARER_TOKEN or CERTIFICATE');
        c.authentication = a;
      }
    }
    if (d.mode === 'embedded') {
      if (d.host !== undefined && (typeof d.host !== 'string' || !d.host)) throw field('host', 'host must be the address the broker listens on');
      if (d.port !== undefined && (!Number.isInteger(d.port) || (d.port as number) < 0 || (d.port as number) > 65535)) throw field('port', 'port must be 0 to 65535 (0: any free port)');
      if (typeof d.host === 'string') c.host = d.host;
      if (d.port !== undefined) c.port = d.port as number;
    }
    if (d.uris !== undefined && d.uris !== null) {
      if (!Array.isArray(d.uris) || !d.uris.every((u) => typeof u === 'string' && URL_RE.test(u))) throw field('uris', 'uris must be a list of mqtt:// or mqtts:// URLs');
      c.uris = d.uris as string[];
    }
    if (d.prefix !== undefined && d.prefix !== null) {
      if (typeof d.prefix !== 'string' || !/^[^#+\s]+$/.test(d.prefix) || d.prefix.endsWith('/')) throw field('prefix', 'prefix must be a topic level path without wildcards or a trailing /');
      c.prefix = d.prefix;
    }
    try {
      await notifier.apply(c);
    } catch (e) {
      // nothing saved: the previous configuration comes back
      await notifier.apply(prev).catch(() => undefined);
      throw field(c.mode === 'embedded' ? 'port' : 'url', `the MQTT notifier could not start: ${(e as Error).message}`);
    }
    ctx.settings.set(SETTING, JSON.stringify(c));
    ctx.audit.record({ userId: p.userId, userName: p.userName, action: 'dr.mqtt.settings', target: `settings:${SETTING}`, newValue: { ...c, password: c.password ? 'set' : undefined }, result: 'ok' });
    return view();
  });
}
