import type { Feature } from './feature';

/** The features composed into the runtime, in start order (stopped in reverse). */
export const features: Feature[] = [];
