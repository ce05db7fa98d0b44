/**
 * Whose alarm is it: the object an alarm is about, by which a privilege-limited user is allowed to see it or not
 * (docs/security.md, "Alarms and privileges"). A point's alarm belongs to the point; a data source's OFFLINE
 * alarm to the data source (plant-wide, like data sources themselves); a rule's (FDD) alarm to the object the
 * rule diagnosed: the space of SPACE01, the meter of METER01, the point of REALTIME01, the gateway of SYSTEM01
 * and the data source of SYSTEM02 (its condition is `<fdd_code>:<object id>`).
 */
import type { Access } from '../auth/access';
import type { Principal } from '../auth/service';
import { checkByCode } from './checks';

export interface AlarmRef {
  source: unknown;
  source_id: unknown;
  condition: unknown;
}

export function alarmSubject(a: AlarmRef): { entity: string; id: number } | null {
  const id = typeof a.source_id === 'number' ? a.source_id : null;
  if (a.source === 'point' && id !== null) return { entity: 'points', id };
  if (a.source === 'datasource' && id !== null) return { entity: 'datasources', id };
  // an edge site's alarm mirrored at the central server (central/remote-alarms.ts) belongs to the site's data source
  if (a.source === 'site' && id !== null) return { entity: 'datasources', id };
  if (a.source === 'rule' && typeof a.condition === 'string') {
    const [code, object] = a.condition.split(':');
    const entity = checkByCode.get(code)?.subject;
    if (entity && /^\d+$/.test(object ?? '')) return { entity, id: Number(object) };
  }
  return null;
}

/** Whether this user may see (and handle) this alarm; an alarm about no known object only unrestricted users see. */
export function seesAlarm(access: Access | undefined, p: Principal, a: AlarmRef): boolean {
  if (!access || p.isAdmin || p.spaces === null) return true;
  const s = alarmSubject(a);
  return s !== null && access.canSee(p, s.entity, s.id);
}
