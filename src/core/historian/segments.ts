/**
 * Where a sample's segment starts. A segment holds one point's samples of one minute; each point's minutes are
 * shifted by its own offset, so that the 10,000 segments of 10,000 points do not all end (and get written) in the
 * same second but spread evenly over the minute.
 */

/** the span of one segment */
export const SEGMENT_MS = 60_000;

/** the point's offset within the minute, from the golden ratio (well spread for consecutive ids) */
export function segmentOffset(pointId: number): number {
  return Math.floor(((pointId * 0.6180339887498949) % 1) * SEGMENT_MS);
}

/** the start of the point's segment that holds time `ts` */
export function segmentStart(ts: number, pointId: number): number {
  const off = segmentOffset(pointId);
  return Math.floor((ts + off) / SEGMENT_MS) * SEGMENT_MS - off;
}
