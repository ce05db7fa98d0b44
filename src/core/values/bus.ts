/**
 * The value bus: the one place where acquisition hands over values and where the latest-value cache,
 * the historian, the rules and the live stream pick them up. Kept free of SQLite and HTTP.
 */
import type { Quality } from '../../shared/live';
import { type PointValue, ValueBatch } from './batch';
import { LatestValues } from './latest';

export type { PointValue, Quality };
export { ValueBatch };

/** a batch is packed (values/batch.ts): listeners read it by index, and keep an object (`at(i)`) only where they must */
export type ValueListener = (batch: ValueBatch) => void;

export class ValueBus {
  /** packed (values/latest.ts): the batch's objects are not kept past the listeners */
  private readonly latestById = new LatestValues();
  private listeners: ValueListener[] = [];

  /** Stores the batch as the latest values and hands it to every listener; one listener's error never stops the others. */
  publish(batch: ValueBatch): void {
    if (batch.length === 0) return;
    this.latestById.setAll(batch);
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
