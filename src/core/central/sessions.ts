/**
 * The state a Sparkplug host keeps per edge node (Sparkplug B 3.0, host application rules):
 * - NBIRTH starts a session: the node is online under its bdSeq, its metrics (names, aliases, types, units) are
 *   the catalog, seq restarts from the birth's; DBIRTH/DDEATH do the same for a device within the session.
 * - NDEATH ends the session only when its bdSeq is the session's (a late will of an older session is ignored).
 * - Every message but NDEATH carries seq 0..255, one more than the previous message of the node; a gap counts and
 *   asks for a rebirth (NCMD Node Control/Rebirth), as does data from a node or device that has not been born or
 *   that names an alias no birth declared. Rebirth requests to one node are at most one per REBIRTH_HOLDOFF_MS.
 * - Values (birth values too, historical ones included) become samples of the catalog's metrics.
 */
import type { CentralSample, CentralStore, DeviceState, MetricDef, SiteHealth } from './storage';
import { metricKey } from './storage';
import { bdSeqOf, type Metric, type Payload, type SparkplugTopic } from './wire';

export const REBIRTH_HOLDOFF_MS = 5_000;

export interface NodeSession {
  siteId: number;
  group: string;
  node: string;
  health: SiteHealth;
  /** the seq the next message must carry; null while the node has no session */
  expectedSeq: number | null;
  /** alias -> metric id, and device\0name -> metric id, of the current session */
  aliases: Map<number, number>;
  names: Map<string, number>;
  devices: Map<string, DeviceState>;
  /** metric ids the current births mark Writable (commands from the central server are sent only for these) */
  writable?: Set<number>;
  lastRebirth: number;
}

export interface Outcome {
  samples: CentralSample[];
  /** latest value per metric id among the samples (the newest time wins) */
  rebirth: boolean;
  healthChanged: boolean;
  device?: DeviceState;
  /** why the message was not taken as it came (for the log) */
  note?: string;
}

const freshHealth = (): SiteHealth => ({ online: false, bd_seq: null, last_birth: null, last_death: null, last_seen: null, seq_gaps: 0, rebirths: 0, values_received: 0 });

export class Sessions {
  readonly nodes = new Map<string, NodeSession>();

  constructor(
    private readonly store: CentralStore,
    private readonly hostConfigId: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** the sessions of this host's sites already in the store (health survives a restart of the server) */
  async load(): Promise<void> {
    for (const s of await this.store.sites()) {
      if (s.host_config_id !== this.hostConfigId) continue;
      const { id, group_id, edge_node_id, host_config_id: _h, devices: _d, devices_online: _o, ...health } = s;
      // a session from before this server started is unknown to it: offline until the node is born again
      this.nodes.set(`${group_id}/${edge_node_id}`, { siteId: id, group: group_id, node: edge_node_id, health: { ...health, online: false }, expectedSeq: null, aliases: new Map(), names: new Map(), devices: new Map(), writable: new Set(), lastRebirth: 0 });
    }
  }

  private async session(t: SparkplugTopic): Promise<NodeSession> {
    const key = `${t.group}/${t.node}`;
    let s = this.nodes.get(key);
    if (!s) {
      const siteId = await this.store.site(this.hostConfigId, t.group, t.node);
      s = { siteId, group: t.group, node: t.node, health: freshHealth(), expectedSeq: null, aliases: new Map(), names: new Map(), devices: new Map(), writable: new Set(), lastRebirth: 0 };
      this.nodes.set(key, s);
    }
    return s;
  }

  /** Takes one message; births and deaths touch the store (catalog, health), data only builds samples. */
  async take(t: SparkplugTopic, p: Payload): Promise<{ session: NodeSession; outcome: Outcome }> {
    const s = await this.session(t);
    const out: Outcome = { samples: [], rebirth: false, healthChanged: false };
    const now = this.now();
    s.health.last_seen = now;
    switch (t.type) {
      case 'NBIRTH':
        await this.nodeBirth(s, p, out, now);
        break;
      case 'NDEATH': {
        const bd = bdSeqOf(p);
        if (s.health.online && bd !== null && bd === s.health.bd_seq) {
          s.health.online = false;
          s.health.last_death = now;
          s.expectedSeq = null;
          for (const d of s.devices.values()) if (d.online) Object.assign(d, { online: false, last_death: now });
          out.healthChanged = true;
        } else out.note = `NDEATH with bdSeq ${bd} ignored (session bdSeq ${s.health.bd_seq}, ${s.health.online ? 'online' : 'offline'})`;
        break;
      }
      default:
        if (!s.health.online) {
          out.note = `${t.type} from ${t.group}/${t.node} before its NBIRTH`;
          out.rebirth = true;
          break;
        }
        this.checkSeq(s, p, out);
        if (t.type === 'DBIRTH') await this.deviceBirth(s, t.device, p, out, now);
        else if (t.type === 'DDEATH') {
          const d = s.devices.get(t.device);
          if (d?.online) {
            Object.assign(d, { online: false, last_death: now });
            out.device = d;
          }
        } else if (t.type === 'NDATA' || t.type === 'DDATA') {
          if (t.type === 'DDATA' && !s.devices.get(t.device)?.online) {
            out.note = `DDATA from ${t.device} before its DBIRTH`;
            out.rebirth = true;
            break;
          }
          this.values(s, t.device, p.metrics, out);
        }
    }
    if (out.rebirth) {
      if (now - s.lastRebirth >= REBIRTH_HOLDOFF_MS) {
        s.lastRebirth = now;
        s.health.rebirths++;
        out.healthChanged = true;
      } else out.rebirth = false;
    }
    s.health.values_received += out.samples.length;
    return { session: s, outcome: out };
  }

  private checkSeq(s: NodeSession, p: Payload, out: Outcome): void {
    if (p.seq === null) return;
    if (s.expectedSeq !== null && p.seq !== s.expectedSeq) {
      s.health.seq_gaps++;
      out.healthChanged = true;
      out.rebirth = true;
      out.note = `seq ${p.seq} from ${s.group}/${s.node}, expected ${s.expectedSeq}`;
    }
    s.expectedSeq = (p.seq + 1) % 256;
  }

  private async nodeBirth(s: NodeSession, p: Payload, out: Outcome, now: number): Promise<void> {
    s.health.online = true;
    s.health.bd_seq = bdSeqOf(p);
    s.health.last_birth = now;
    s.expectedSeq = p.seq === null ? null : (p.seq + 1) % 256;
    s.aliases = new Map();
    s.names = new Map();
    s.writable = new Set();
    // a new session: its devices are offline until their own births
    for (const d of s.devices.values()) d.online = false;
    out.healthChanged = true;
    await this.catalog(s, '', p.metrics);
    this.values(s, '', p.metrics, out);
  }

  private async deviceBirth(s: NodeSession, device: string, p: Payload, out: Outcome, now: number): Promise<void> {
    const d: DeviceState = { device_id: device, online: true, last_birth: now, last_death: s.devices.get(device)?.last_death ?? null };
    s.devices.set(device, d);
    out.device = d;
    await this.catalog(s, device, p.metrics);
    this.values(s, device, p.metrics, out);
  }

  private async catalog(s: NodeSession, device: string, metrics: readonly Metric[]): Promise<void> {
    const defs = new Map<string, MetricDef>();
    const writable = new Set<string>();
    for (const m of metrics) {
      if (!m.name) continue;
      defs.set(m.name, { device_id: device, name: m.name, alias: m.alias, datatype: m.datatype, unit: m.unit });
      if (m.writable) writable.add(m.name);
      else writable.delete(m.name);
    }
    const ids = await this.store.defineMetrics(s.siteId, [...defs.values()]);
    for (const def of defs.values()) {
      const id = ids.get(metricKey(device, def.name));
      if (id === undefined) continue;
      s.names.set(metricKey(device, def.name), id);
      if (def.alias !== null) s.aliases.set(def.alias, id);
      if (writable.has(def.name)) (s.writable ??= new Set()).add(id);
      else s.writable?.delete(id);
    }
  }

  private values(s: NodeSession, device: string, metrics: readonly Metric[], out: Outcome): void {
    for (const m of metrics) {
      const id = m.name ? s.names.get(metricKey(device, m.name)) : m.alias !== null ? s.aliases.get(m.alias) : undefined;
      if (id === undefined) {
        out.rebirth = true;
        out.note = `metric ${m.name ?? `alias ${m.alias}`} of ${s.group}/${s.node}${device ? `/${device}` : ''} is not in its birth`;
        continue;
      }
      out.samples.push({ metric_id: id, ts: m.ts, num: m.num, text: m.text, historical: m.historical });
    }
  }
}
