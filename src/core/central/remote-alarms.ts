/**
 * Edge alarms at the central server: each `Alarms/Event` an edge site publishes (sparkplug/events.ts: every
 * transition of one of its alarms, in order, historical ones after an outage too) is mirrored as an alarm of that
 * site in the central alarm list (source `site`, the site's data source id, condition `EDGE:<edge alarm id>`), so
 * the Alarms screen, banner and status bar show it. Its state follows the edge's: raised, cleared and acknowledged
 * there. Sparkplug gives a host no way to acknowledge an edge's alarm (the edge honours DCMD writes to points only),
 * so central operators cannot acknowledge it: the alarm service refuses with a message that says where to do it
 * (alarms/service.ts, MIRRORED_SOURCES), and the screen labels it. Shelving stays a local choice of the central
 * operators.
 */
import type { AlarmService } from '../alarms/service';
import { PRIORITIES, type Priority } from '../alarms/state';

/** The alarm source of mirrored edge alarms (alarms/service.ts refuses acknowledging them here). */
export const SITE_SOURCE = 'site';

interface EdgeEvent {
  event_id?: unknown;
  alarm_id?: unknown;
  name?: unknown;
  priority?: unknown;
  message?: unknown;
  action?: unknown;
  to_state?: unknown;
  user?: unknown;
  comment?: unknown;
  value?: unknown;
}

export interface EdgeAlarms {
  take(dataSourceId: number, siteName: string, json: string, ts: number): void;
}

export class EdgeAlarmMirror implements EdgeAlarms {
  /** data source id -> newest edge event id taken (a birth repeats the last event; an old one is not applied again) */
  private readonly lastEvent = new Map<number, number>();

  constructor(
    private readonly alarms: () => AlarmService | undefined,
    private readonly log: (line: string) => void,
  ) {}

  take(dataSourceId: number, siteName: string, json: string, ts: number): void {
    const service = this.alarms();
    if (!service) return;
    let e: EdgeEvent;
    try {
      e = JSON.parse(json) as EdgeEvent;
    } catch {
      this.log(`central: an Alarms/Event of ${siteName} is not JSON`);
      return;
    }
    if (typeof e.alarm_id !== 'number' || typeof e.to_state !== 'string') return;
    if (typeof e.event_id === 'number') {
      if (e.event_id <= (this.lastEvent.get(dataSourceId) ?? -1)) return;
      this.lastEvent.set(dataSourceId, e.event_id);
    }
    const priority: Priority = PRIORITIES.includes(e.priority as Priority) ? (e.priority as Priority) : 'MEDIUM';
    const edgeName = typeof e.name === 'string' ? e.name : `alarm ${e.alarm_id}`;
    const alarm = {
      source: SITE_SOURCE,
      sourceId: dataSourceId,
      condition: `EDGE:${e.alarm_id}`,
      name: `${siteName}: ${edgeName}`,
      message: `${typeof e.message === 'string' ? e.message : edgeName} (at site ${siteName}; acknowledged there)`,
      priority,
      value: typeof e.value === 'string' || typeof e.value === 'number' ? e.value : null,
    };
    // the edge's state after the transition: UNACK/ACKED active, RTNUN/NORM cleared; shelving and suppression at
    // the edge are the edge's own view and change nothing here
    const to = e.to_state;
    const active = to === 'UNACK' || to === 'ACKED' ? true : to === 'RTNUN' || to === 'NORM' ? false : null;
    if (active !== null) service.raise(alarm, active, ts);
    const acked = to === 'ACKED' || to === 'NORM';
    if (acked) {
      const user = typeof e.user === 'string' && e.user ? e.user : 'edge';
      service.acknowledgeMirrored(SITE_SOURCE, dataSourceId, alarm.condition, `${user} at ${siteName}`, typeof e.comment === 'string' ? e.comment : null, ts);
    }
  }
}
