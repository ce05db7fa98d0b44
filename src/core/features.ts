import { acquisitionFeature } from './acquisition/feature';
import { alarmsFeature } from './alarms/feature';
import { centralFeature } from './central/feature';
import { controlFeature } from './control/feature';
import { demoFeature } from './demo/feature';
import { drFeature } from './dr/feature';
import { energyFeature } from './energy/feature';
import { filesFeature } from './files/feature';
import type { Feature } from './feature';
import { historianFeature } from './historian/feature';
import { liveFeature } from './live/feature';
import { reportsFeature } from './reports/feature';
import { sparkplugFeature } from './sparkplug/feature';

/**
 * The features composed into the runtime, in start order; they stop in reverse: demand response first (no
 * dispatch into a stopping arbiter), control (no write into a stopping acquisition), then acquisition, and the historian flushes what it delivered before
 * the store closes.
 */
export const features: Feature[] = [filesFeature, historianFeature, energyFeature, liveFeature, alarmsFeature, demoFeature, acquisitionFeature, controlFeature, drFeature, reportsFeature, sparkplugFeature, centralFeature];
