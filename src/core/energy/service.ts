/**
 * The energy service other features use (contract.ts): queries, a subject's zone, and "settled" for callers
 * that must see everything queued so far.
 */
import type { Db } from '../store/store';
import type { EnergyQuery, EnergyResult, EnergyService, SubjectKind, TimeOfDayQuery } from './contract';
import type { EnergyPipeline } from './pipeline';
import { runQuery } from './query';
import type { EnergyStorage } from './storage';
import { runTimeOfDay } from './timeofday';
import type { Zones } from './timezones';

export function energyService(db: Db, storage: EnergyStorage, pipeline: EnergyPipeline, zones: Zones): EnergyService {
  return {
    query: (q: EnergyQuery): EnergyResult => runQuery(db, storage, pipeline, zones, q),
    timeOfDay: (q: TimeOfDayQuery) => runTimeOfDay(db, pipeline, zones, q),
    timezoneOf: (kind: SubjectKind, id: number) => zones.of(kind, id),
    settled: () => pipeline.settled(),
  };
}
