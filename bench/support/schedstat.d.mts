export interface SchedstatReader {
  fd: number;
  buf: Buffer;
}
export function openSchedstat(): SchedstatReader | null;
export function readSchedstat(reader: SchedstatReader | null): [number, number];
export function closeSchedstat(reader: SchedstatReader | null): void;
