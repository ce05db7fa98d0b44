/**
 * Types both sides of the API agree on (the runtime and the renderer): the quality of a value and a live value
 * as `/api/points/{id}/latest` and `/api/live` send it. Types only: nothing here runs.
 */
export type Quality = 'good' | 'bad' | 'stale' | 'comm_fail' | 'out_of_range' | 'manual';

/** A point's value on the wire. */
export interface WireValue {
  point_id: number;
  value: number | string | null;
  quality: Quality;
  /** ISO 8601, UTC */
  utc_date_time: string;
}

/**
 * A values message of `/api/live?format=columns`: the same values as columns, the time in milliseconds since the
 * epoch (UTC). A client parses a few arrays instead of an object and a date string per value. `quality` and
 * `utc_ms` are a single value when every value of the message shares it, else an array like the others.
 */
export interface ValueColumns {
  type: 'values';
  format: 'columns';
  point_id: number[];
  value: (number | string | null)[];
  quality: Quality | Quality[];
  utc_ms: number | number[];
}
