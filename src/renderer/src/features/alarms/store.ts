/**
 * The alarm store: the alarms and the summary the banner and the list show. Refreshed from the API (a poll
 * every few seconds keeps it right even without a live connection) and updated at once by live pushes
 * ({"type":"alarms","changed":[...],"summary":{...}}) through applyAlarmPush, which the shell's live
 * connection can call. Diagrams read unacknowledgedPointIds to blink the symbols of unacknowledged alarms.
 */
import { create } from 'zustand';
import { api } from '../../app/api';
import { summarize, unacknowledgedPointIds } from './logic';
import type { Alarm, AlarmSummary, Priority } from './types';

export { applyAlarmBlink, summarize, unacknowledgedPointIds } from './logic';

/** The point ids whose symbols blink, as a zustand selector result (stable while nothing changes). */
let lastIds: Set<number> = new Set();
let lastMap: Map<number, Alarm> | null = null;
export const selectUnacknowledgedPointIds = (s: { byId: Map<number, Alarm> }): Set<number> => {
  if (s.byId !== lastMap) {
    lastMap = s.byId;
    lastIds = unacknowledgedPointIds(s.byId);
  }
  return lastIds;
};

export interface AlarmStoreState {
  /** every alarm the server knows (state=all), by id */
  byId: Map<number, Alarm>;
  summary: AlarmSummary;
  loaded: boolean;
  error: string | null;
  /** the audible cue is silenced until an alarm newer than this activates */
  silencedAt: number | null;
  refresh: () => Promise<void>;
  applyPush: (changed: Alarm[], summary?: { unacknowledged_alarms: number; highest_alarm_priority: Priority | null }) => void;
  silence: () => void;
}

const EMPTY: AlarmSummary = { unacknowledged_alarms: 0, highest_alarm_priority: null, newest_unacknowledged: null };

export const useAlarmStore = create<AlarmStoreState>((set, get) => ({
  byId: new Map(),
  summary: EMPTY,
  loaded: false,
  error: null,
  silencedAt: null,
  async refresh() {
    try {
      // the list screen needs every alarm; the banner and the blinking symbols only the unacknowledged ones
      const list = await api.get<Alarm[]>(fullUsers > 0 ? '/alarms?state=all' : '/alarms?state=unacknowledged');
      const byId = new Map(list.map((a) => [a.id, a]));
      set({ byId, summary: summarize(byId.values()), loaded: true, error: null });
    } catch (e) {
      set({ error: (e as Error).message });
    }
  },
  applyPush(changed) {
    const byId = new Map(get().byId);
    for (const a of changed) byId.set(a.id, a);
    set({ byId, summary: summarize(byId.values()) });
  },
  silence() {
    set({ silencedAt: Date.now() });
  },
}));

/** For the shell's live connection: hand every {"type":"alarms"} message here. */
export function applyAlarmPush(msg: { changed?: Alarm[]; summary?: { unacknowledged_alarms: number; highest_alarm_priority: Priority | null } }): void {
  if (Array.isArray(msg.changed)) useAlarmStore.getState().applyPush(msg.changed, msg.summary);
}

let timer: ReturnType<typeof setInterval> | null = null;
let users = 0;
let fullUsers = 0;
/**
 * Starts the periodic refresh while at least one component needs it; 'full' (the alarm list) loads every
 * alarm, 'banner' only the unacknowledged ones.
 */
export function retainAlarmPolling(mode: 'banner' | 'full' = 'banner', everyMs = 3000): () => void {
  users++;
  if (mode === 'full') fullUsers++;
  void useAlarmStore.getState().refresh();
  if (!timer) timer = setInterval(() => void useAlarmStore.getState().refresh(), everyMs);
  return () => {
    users--;
    if (mode === 'full') fullUsers--;
    if (users === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}
