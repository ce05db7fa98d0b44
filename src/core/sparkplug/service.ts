/**
 * The Sparkplug edge in the runtime: one EdgeNode per enabled `sparkplugnodes` row. A change of a node's row
 * restarts that node (new session, new bdSeq, rebirth); a change of points, data sources or spaces rebuilds the
 * catalogs and rebirths (Sparkplug has no other way to announce new metrics). Deleting a node drops its outbox.
 */
import type { Store } from '../store/store';
import type { ValueBus } from '../values/bus';
import { loadNodes } from './catalog';
import { EdgeNode, type EdgeDeps, type EdgeStatus } from './edge';
import { EventSource } from './events';
import { Outbox } from './outbox';

export class SparkplugService {
  readonly outbox: Outbox;
  private readonly nodes = new Map<number, EdgeNode>();
  private running = false;
  private reloadTimer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    values: ValueBus,
    log: (line: string) => void,
    command: EdgeDeps['command'],
  ) {
    this.outbox = new Outbox(store);
    this.deps = { store, values, outbox: this.outbox, events: new EventSource(store), log, command };
  }

  private readonly deps: EdgeDeps;

  start(): void {
    this.running = true;
    for (const cfg of loadNodes(this.store)) {
      if (!cfg.enabled) continue;
      const n = new EdgeNode(cfg, this.deps);
      this.nodes.set(cfg.id, n);
      n.start();
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    await this.chain;
    await Promise.all([...this.nodes.values()].map((n) => n.stop()));
    this.nodes.clear();
  }

  /** A node's row changed: stop it and start it again with the new configuration (serialised). */
  nodeChanged(id: number, op: 'create' | 'update' | 'delete'): void {
    this.chain = this.chain.then(async () => {
      if (!this.running) return;
      const old = this.nodes.get(id);
      if (old) {
        this.nodes.delete(id);
        await old.stop();
      }
      if (op === 'delete') {
        this.outbox.forget(id);
        return;
      }
      const cfg = loadNodes(this.store).find((c) => c.id === id);
      if (!cfg?.enabled || !this.running) return;
      const n = new EdgeNode(cfg, this.deps);
      this.nodes.set(id, n);
      n.start();
    });
  }

  /** Points, data sources or spaces changed: one reload shortly after (an import changes thousands of rows). */
  catalogChanged(): void {
    if (this.reloadTimer) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      for (const n of this.nodes.values()) n.reload();
    }, 200);
  }

  rebirth(id: number): boolean {
    const n = this.nodes.get(id);
    if (!n) return false;
    n.reload(true);
    return true;
  }

  status(id: number): EdgeStatus | null {
    const n = this.nodes.get(id);
    if (n) return n.status();
    const cfg = loadNodes(this.store).find((c) => c.id === id);
    if (!cfg) return null;
    const o = this.outbox.stats(id);
    return {
      id,
      name: cfg.name,
      state: 'stopped',
      broker_url: cfg.brokerUrl,
      group_id: cfg.groupId,
      edge_node_id: cfg.edgeNodeId,
      bd_seq: null,
      seq: 0,
      devices: 0,
      metrics: 0,
      last_birth: null,
      last_error: cfg.enabled ? null : 'disabled',
      published: { messages: 0, values: 0, historical_values: 0 },
      outbox: { messages: o.rows, values: o.values, bytes: o.bytes, oldest: o.oldest === null ? null : new Date(o.oldest).toISOString(), dropped: o.dropped },
    };
  }

  statuses(): EdgeStatus[] {
    return loadNodes(this.store).map((c) => this.status(c.id)!);
  }
}
