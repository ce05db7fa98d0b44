/**
 * Alarm system performance (ISA-18.2 clause 16 / EEMUA 191): alarm rate per operator position, floods,
 * chattering, stale alarms and the most frequent alarms, each against its published target.
 */
import type { AlarmRepository, AlarmRow } from './repository';

export const FLOOD_WINDOW_MS = 10 * 60_000;
export const FLOOD_THRESHOLD = 10; // more than 10 in 10 minutes
export const CHATTER_WINDOW_MS = 60_000;
export const CHATTER_TRANSITIONS = 3; // 3 or more transitions in a minute
export const STALE_MS = 24 * 3_600_000;

export const TARGETS = {
  /** ISA-18.2 table 5: ~6 per hour acceptable, 12 per hour maximum manageable (per operator position) */
  alarms_per_hour_acceptable: 6,
  alarms_per_hour_max: 12,
  /** ISA-18.2: floods less than 1% of the time */
  percent_time_in_flood_max: 1,
  /** ISA-18.2 / EEMUA 191: no chattering alarms, fewer than 5 stale alarms */
  chattering_max: 0,
  stale_max: 5,
  /** ISA-18.2: the ten most frequent alarms make 1% to 5% of the load, never more */
  top10_percent_max: 5,
};

export interface PerformanceReport {
  startdatetime: string;
  enddatetime: string;
  hours: number;
  operator_positions: number;
  activations: number;
  alarms_per_hour: number;
  alarms_per_hour_per_position: number;
  /** by the user who acknowledged: who handled how much */
  acknowledgements_by_user: { user_name: string; count: number; per_hour: number }[];
  floods: { start: string; end: string; count: number }[];
  percent_time_in_flood: number;
  chattering: { alarm_id: number; name: string; max_transitions_per_minute: number }[];
  stale: { alarm_id: number; name: string; active_since: string; hours: number }[];
  top10: { alarm_id: number; name: string; priority: string; count: number; percent: number }[];
  top10_percent: number;
  priority_distribution: Record<string, number>;
  targets: typeof TARGETS;
  assessment: { alarm_rate: 'acceptable' | 'manageable' | 'overloaded'; floods: boolean; chattering: boolean; stale: boolean; top10: boolean };
}

export function performance(repo: AlarmRepository, alarms: Map<number, AlarmRow>, from: number, to: number, positions = 1, now = Date.now()): PerformanceReport {
  const events = repo.events(from, to);
  const acts = events.filter((e) => e.action === 'activate');
  const hours = Math.max((to - from) / 3_600_000, 1 / 60);
  const name = (id: number) => alarms.get(id)?.name ?? `alarm ${id}`;

  // floods: maximal periods in which every 10-minute window starting at an activation holds more than 10
  const floods: { start: number; end: number; count: number }[] = [];
  let j = 0;
  for (let i = 0; i < acts.length; i++) {
    while (j < acts.length && acts[j].at < acts[i].at + FLOOD_WINDOW_MS) j++;
    if (j - i > FLOOD_THRESHOLD) {
      const end = acts[j - 1].at;
      const last = floods[floods.length - 1];
      if (last && acts[i].at <= last.end) {
        last.end = Math.max(last.end, end);
      } else floods.push({ start: acts[i].at, end, count: 0 });
    }
  }
  for (const f of floods) f.count = acts.filter((a) => a.at >= f.start && a.at <= f.end).length;
  const floodMs = floods.reduce((s, f) => s + Math.max(f.end - f.start, 1), 0);

  // chattering: 3 or more activate/clear transitions of one alarm within a minute
  const byAlarm = new Map<number, number[]>();
  for (const e of events) if (e.action === 'activate' || e.action === 'clear') byAlarm.set(e.alarm_id, [...(byAlarm.get(e.alarm_id) ?? []), e.at]);
  const chattering: PerformanceReport['chattering'] = [];
  for (const [id, times] of byAlarm) {
    let best = 0;
    let k = 0;
    for (let i = 0; i < times.length; i++) {
      while (times[i] - times[k] >= CHATTER_WINDOW_MS) k++;
      best = Math.max(best, i - k + 1);
    }
    if (best >= CHATTER_TRANSITIONS) chattering.push({ alarm_id: id, name: name(id), max_transitions_per_minute: best });
  }
  chattering.sort((a, b) => b.max_transitions_per_minute - a.max_transitions_per_minute);

  const stale = [...alarms.values()]
    .filter((a) => a.active === 1 && a.activated_at !== null && now - a.activated_at > STALE_MS)
    .map((a) => ({ alarm_id: a.id, name: a.name, active_since: new Date(a.activated_at!).toISOString(), hours: Math.round(((now - a.activated_at!) / 3_600_000) * 10) / 10 }));

  const counts = new Map<number, number>();
  for (const a of acts) counts.set(a.alarm_id, (counts.get(a.alarm_id) ?? 0) + 1);
  const top10 = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, 10)
    .map(([id, count]) => ({ alarm_id: id, name: name(id), priority: alarms.get(id)?.priority ?? '', count, percent: acts.length ? Math.round((count / acts.length) * 1000) / 10 : 0 }));
  const top10Count = top10.reduce((s, t) => s + t.count, 0);

  const acks = new Map<string, number>();
  for (const e of events) if (e.action === 'ack') acks.set(e.user_name, (acks.get(e.user_name) ?? 0) + 1);
  const priority_distribution: Record<string, number> = {};
  for (const a of acts) {
    const p = alarms.get(a.alarm_id)?.priority ?? 'UNKNOWN';
    priority_distribution[p] = (priority_distribution[p] ?? 0) + 1;
  }

  const pos = Math.max(1, Math.floor(positions));
  const rate = acts.length / hours / pos;
  const r1 = (v: number) => Math.round(v * 100) / 100;
  const top10Percent = acts.length ? r1((top10Count / acts.length) * 100) : 0;
  // with fewer than 11 different alarms the top ten are all of them; the target only means something above that
  const top10Ok = counts.size <= 10 || top10Percent <= TARGETS.top10_percent_max;
  return {
    startdatetime: new Date(from).toISOString(),
    enddatetime: new Date(to).toISOString(),
    hours: r1(hours),
    operator_positions: pos,
    activations: acts.length,
    alarms_per_hour: r1(acts.length / hours),
    alarms_per_hour_per_position: r1(rate),
    acknowledgements_by_user: [...acks.entries()].map(([user_name, count]) => ({ user_name, count, per_hour: r1(count / hours) })).sort((a, b) => b.count - a.count),
    floods: floods.map((f) => ({ start: new Date(f.start).toISOString(), end: new Date(f.end).toISOString(), count: f.count })),
    percent_time_in_flood: r1((floodMs / (to - from)) * 100),
    chattering,
    stale,
    top10,
    top10_percent: top10Percent,
    priority_distribution,
    targets: TARGETS,
    assessment: {
      alarm_rate: rate <= TARGETS.alarms_per_hour_acceptable ? 'acceptable' : rate <= TARGETS.alarms_per_hour_max ? 'manageable' : 'overloaded',
      floods: floods.length > 0,
      chattering: chattering.length > TARGETS.chattering_max,
      stale: stale.length >= TARGETS.stale_max,
      top10: !top10Ok,
    },
  };
}
