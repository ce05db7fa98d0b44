/**
 * The value bus: the one place where acquisition hands over values and where the latest-value cache,
 * the historian, the rules and the live stream pick them up. Kept free of SQLite and HTTP.
 */
import type { Quality } from '../../shared/live';
import { LatestValues } from './latest';

export type { Quality };

export interface PointValue {
  point_id: number;
  value: number | string | null;
  quality: Quality;
  /** source timestamp, epoch milliseconds */
  ts: number;
}

export type ValueListener = (batch: readonly PointValue[]) => void;

export class ValueBus {
  /** packed (values/latest.ts): the batch's objects are not kept past the listeners */
  private readonly latestById = new LatestValues();
  private listeners: ValueListener[] = [];

  /** Stores the batch as the latest values and hands it to every listener; one listener's error never stops the others. */
  publish(batch: readonly PointValue[]): void {
    if (batch.length === 0) return;
    for (const v of batch) this.latestById.set(v);
    for (const l of this.listeners) {
      try {
        l(batch);
      } catch (e) {
        this.onListenerError?.(e as Error);
      }
    }
  }

  subscribe(listener: ValueListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** the point's newest value (a new object each call) */
  latest(pointId: number): PointValue | undefined {
    return this.latestById.get(pointId);
  }

  /** Forget a deleted point. */
  forget(pointId: number): void {
    this.latestById.delete(pointId);
  }

  onListenerError?: (e: Error) => void;
}
