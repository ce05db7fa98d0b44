import { acquisitionFeature } from './acquisition/feature';
import { alarmsFeature } from './alarms/feature';
import { demoFeature } from './demo/feature';
import { filesFeature } from './files/feature';
import type { Feature } from './feature';
import { historianFeature } from './historian/feature';
import { liveFeature } from './live/feature';

/**
 * The features composed into the runtime, in start order; they stop in reverse, so acquisition (last) stops
 * first and the historian flushes what it delivered before the store closes.
 */
export const features: Feature[] = [filesFeature, historianFeature, liveFeature, alarmsFeature, demoFeature, acquisitionFeature];
