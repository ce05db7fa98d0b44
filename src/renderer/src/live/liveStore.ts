/**
 * Live values: ONE WebSocket to /api/live for the whole renderer and a zustand store keyed by point id.
 * Components select `values[id]`: an update replaces only the changed points' entries, so a value change
 * re-renders only what shows that point. Subscriptions are reference-counted and replayed on reconnect.
 */
import { useEffect } from 'react';
import { create } from 'zustand';
import { apiBase, session } from '../app/session';

import type { Quality, ValueColumns, WireValue } from '../../../shared/live';

export type { Quality };

export interface LiveValue {
  value: number | string | null;
  quality: Quality;
  utc_date_time: string;
}

export interface RuntimeStatusMessage {
  server_time: string;
  data_sources_online: number;
  data_sources_offline: number;
  unacknowledged_alarms: number;
  highest_alarm_priority: string | null;
}

interface LiveState {
  values: Record<number, LiveValue>;
  connected: boolean;
  status: RuntimeStatusMessage | null;
}

export const useLive = create<LiveState>(() => ({ values: {}, connected: false, status: null }));

type BatchListener = (batch: readonly WireValue[]) => void;
const batchListeners = new Set<BatchListener>();

/**
 * Hears every batch once the store has it (code outside React, e.g. the diagram binder): which points changed,
 * without comparing every point's entry after each message.
 */
export function onValues(listener: BatchListener): () => void {
  batchListeners.add(listener);
  return () => batchListeners.delete(listener);
}

/** Applies a batch: one new `values` object, unchanged points keep their entry (and their subscribers stay idle). */
export function applyValues(batch: WireValue[]): void {
  useLive.setState((s) => {
    const values = { ...s.values };
    // the parsed wire value is the entry (a LiveValue with its point id): no second object per value
    for (const v of batch) values[v.point_id] = v;
    return { values };
  });
  for (const l of batchListeners) l(batch);
}

/**
 * A columns message's values as wire values: one object per value for the store, and one date string per distinct
 * time (a batch's values mostly share one), not one per value.
 */
export function fromColumns(m: ValueColumns): WireValue[] {
  const out: WireValue[] = [];
  const { point_id: ids, value, quality, utc_ms: times } = m;
  // a single quality or time: every value has it
  const qualities = Array.isArray(quality) ? quality : null;
  const every = Array.isArray(times) ? null : times;
  let ms = NaN;
  let iso = '';
  for (let i = 0; i < ids.length; i++) {
    const t = every ?? (times as number[])[i];
    if (t !== ms) {
      ms = t;
      iso = new Date(ms).toISOString();
    }
    out.push({ point_id: ids[i], value: value[i], quality: qualities ? qualities[i] : (quality as Quality), utc_date_time: iso });
  }
  return out;
}

type MessageListener = (msg: Record<string, unknown>) => void;

class LiveConnection {
  private ws: WebSocket | null = null;
  private readonly counts = new Map<number, number>();
  private readonly listeners = new Map<string, Set<MessageListener>>();
  private retry = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private wanted = false;

  start(): void {
    this.wanted = true;
    if (!this.ws) this.open();
  }

  stop(): void {
    this.wanted = false;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close();
    this.ws = null;
    useLive.setState({ connected: false });
  }

  private open(): void {
    const s = session();
    if (!s) return;
    // values as columns (docs/api.md): about half the CPU of one object per value to receive
    const url = `${apiBase().replace(/^http/, 'ws')}/live?format=columns`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', user_uuid: s.user_uuid, token: s.token }));
    ws.onmessage = (ev) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (msg.type === 'ready') {
        this.retry = 0;
        useLive.setState({ connected: true });
        const ids = [...this.counts.keys()];
        if (ids.length) ws.send(JSON.stringify({ type: 'subscribe', point_ids: ids }));
      } else if (msg.type === 'values') applyValues(msg.format === 'columns' ? fromColumns(msg as unknown as ValueColumns) : (msg.values as WireValue[]));
      else if (msg.type === 'status') useLive.setState({ status: msg as unknown as RuntimeStatusMessage });
      for (const l of this.listeners.get(String(msg.type)) ?? []) l(msg);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      useLive.setState({ connected: false });
      if (!this.wanted) return;
      const delay = Math.min(15_000, 500 * 2 ** this.retry++) * (0.8 + Math.random() * 0.4);
      this.timer = setTimeout(() => this.open(), delay);
    };
  }

  private send(msg: unknown): void {
    if (this.ws?.readyState === WebSocket.OPEN && useLive.getState().connected) this.ws.send(JSON.stringify(msg));
  }

  subscribe(ids: number[]): () => void {
    const added: number[] = [];
    for (const id of ids) {
      const n = this.counts.get(id) ?? 0;
      this.counts.set(id, n + 1);
      if (n === 0) added.push(id);
    }
    if (added.length) this.send({ type: 'subscribe', point_ids: added });
    return () => {
      const removed: number[] = [];
      for (const id of ids) {
        const n = (this.counts.get(id) ?? 1) - 1;
        if (n <= 0) {
          this.counts.delete(id);
          removed.push(id);
        } else this.counts.set(id, n);
      }
      if (removed.length) this.send({ type: 'unsubscribe', point_ids: removed });
    };
  }

  /** Other message types (e.g. "alarms") for the features that want them. */
  on(type: string, listener: MessageListener): () => void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(listener);
    this.listeners.set(type, set);
    return () => set.delete(listener);
  }
}

export const live = new LiveConnection();

/** Subscribes a component to points for as long as it is mounted. */
export function useSubscription(ids: readonly number[]): void {
  const key = ids.join(',');
  useEffect(() => live.subscribe(key ? key.split(',').map(Number) : []), [key]);
}

/** One point's live value; re-renders only when that point changes. */
export function usePointValue(id: number | null | undefined): LiveValue | undefined {
  useSubscription(id ? [id] : []);
  return useLive((s) => (id ? s.values[id] : undefined));
}
