// Placeholder until the engine lands (helper "acquisition" replaces this file).
import type { AcquisitionService, AcquisitionSinks } from './contracts';
export function createAcquisitionService(_sinks: AcquisitionSinks, _log?: (msg: string) => void): AcquisitionService {
  throw new Error('acquisition engine not implemented yet');
}
