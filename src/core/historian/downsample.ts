import type { Sample } from './codec';

/**
 * Min/max-preserving downsampling in one pass: the time range [first, last] is cut into maxPoints/4 equal buckets
 * and each bucket keeps its first, minimum, maximum and last sample (in time order, without repeats), so peaks
 * survive and the result holds at most maxPoints samples. Memory stays O(maxPoints) whatever the input size.
 */
export class Downsampler {
  private readonly bucketCount: number;
  private readonly width: number;
  private readonly t0: number;
  private readonly raw: Sample[] = [];
  private readonly out: Sample[] = [];
  private bucket = -1;
  private firstS: Sample | null = null;
  private minS: Sample | null = null;
  private maxS: Sample | null = null;
  private lastS: Sample | null = null;
  count = 0;

  constructor(
    first: number,
    last: number,
    private readonly maxPoints: number,
  ) {
    this.bucketCount = Math.max(1, Math.floor(maxPoints / 4));
    this.width = (last - first + 1) / this.bucketCount;
    this.t0 = first;
  }

  add(s: Sample): void {
    this.count++;
    if (this.count <= this.maxPoints) this.raw.push(s);
    const b = Math.min(this.bucketCount - 1, Math.floor((s.ts - this.t0) / this.width));
    if (b !== this.bucket) {
      this.close();
      this.bucket = b;
      this.firstS = s;
    }
    if (typeof s.value === 'number') {
      if (!this.minS || s.value < (this.minS.value as number)) this.minS = s;
      if (!this.maxS || s.value > (this.maxS.value as number)) this.maxS = s;
    }
    this.lastS = s;
  }

  private close(): void {
    if (!this.firstS) return;
    const picks = [...new Set([this.firstS, this.minS, this.maxS, this.lastS])].filter((x): x is Sample => x !== null);
    picks.sort((a, b) => a.ts - b.ts);
    this.out.push(...picks);
    this.firstS = this.minS = this.maxS = this.lastS = null;
  }

  /** the samples as they came when there are at most maxPoints of them, else the downsampled ones */
  result(): { samples: Sample[]; downsampled: boolean } {
    if (this.count <= this.maxPoints) return { samples: this.raw, downsampled: false };
    this.close();
    return { samples: this.out, downsampled: true };
  }
}

export function downsample(samples: readonly Sample[], maxPoints: number): Sample[] {
  if (samples.length === 0) return [];
  const d = new Downsampler(samples[0].ts, samples[samples.length - 1].ts, maxPoints);
  for (const s of samples) d.add(s);
  return d.result().samples;
}
