export interface SchedstatReader {
  fd: number;
  buf: Buffer;
}
export function openSchedstat(): SchedstatReader | null;
export function readSchedstat(reader: SchedstatReader | null): [number, number];
export function closeSchedstat(reader: SchedstatReader | null): void;
export interface LoopHold {
  start: number;
  end: number;
  ran: number;
  waited: number;
}
export function watchHolds(thresholdMs: number, onHold: (hold: LoopHold) => void, tickMs?: number): () => void;
