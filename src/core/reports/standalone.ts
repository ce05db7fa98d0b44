/**
 * Reports whose subject is not an energy subject of the pipeline (tracking lists a space's meters; the
 * distribution system, microgrid and energy storage reports have their own entities): each parses its own
 * query and checks privileges itself.
 */
import type { Access } from '../auth/access';
import type { Principal } from '../auth/service';
import type { Store } from '../store/store';
import type { ValueBus } from '../values/bus';
import type { Built } from './doc';
import type { Query } from './params';
import { buildEquipmentTracking, buildMeterTracking } from './families/tracking';
import { buildDistributionSystem } from './families/distribution';
import { microgridReports } from './families/microgrid';
import { storageReports } from './families/storage';

export interface StandaloneDeps {
  store: Store;
  services: Map<string, unknown>;
  values: ValueBus;
  access?: Access;
}

export type StandaloneReport = (deps: StandaloneDeps, p: Principal, q: Query, now: number) => { built: Built; quickMode: boolean };

export const standalone = new Map<string, StandaloneReport>([['metertracking', buildMeterTracking], ['equipmenttracking', buildEquipmentTracking], ['distributionsystem', buildDistributionSystem], ...microgridReports, ...storageReports]);
