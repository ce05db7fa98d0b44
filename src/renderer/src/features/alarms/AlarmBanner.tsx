/**
 * The always-visible alarm banner: how many alarms wait for acknowledgement, the most severe priority among
 * them, the newest one (with an acknowledge button), and the audible cue with its silence button.
 */
import { useEffect, useState } from 'react';
import { api } from '../../app/api';
import { canOperate } from '../../app/session';
import { chime } from './sound';
import { retainAlarmPolling, useAlarmStore } from './store';
import { isEdgeAlarm, PRIORITY_GLYPH, type Alarm } from './types';
import './alarms.css';

const CUE_EVERY_MS = 4000;

export function AlarmBanner({ onOpen }: { onOpen?: () => void }) {
  const summary = useAlarmStore((s) => s.summary);
  const silencedAt = useAlarmStore((s) => s.silencedAt);
  const silence = useAlarmStore((s) => s.silence);
  const refresh = useAlarmStore((s) => s.refresh);
  const [busy, setBusy] = useState(false);
  useEffect(() => retainAlarmPolling(), []);

  const newest = summary.newest_unacknowledged;
  const newestAt = newest?.activated_datetime ? Date.parse(newest.activated_datetime) : 0;
  const audible = summary.unacknowledged_alarms > 0 && (silencedAt === null || newestAt > silencedAt);
  useEffect(() => {
    if (!audible) return;
    chime(summary.highest_alarm_priority);
    const t = setInterval(() => chime(summary.highest_alarm_priority), CUE_EVERY_MS);
    return () => clearInterval(t);
  }, [audible, summary.highest_alarm_priority]);

  const open = () => {
    if (onOpen) onOpen();
    else window.location.hash = '#/alarms';
  };
  const ack = async (a: Alarm) => {
    setBusy(true);
    try {
      await api.put(`/alarms/${a.id}/ack`, {});
    } finally {
      setBusy(false);
      await refresh();
    }
  };

  const prio = summary.highest_alarm_priority;
  return (
    <div
      className={`sy-alarm-banner ${prio ? `sy-prio-${prio.toLowerCase()}` : 'sy-alarm-banner-quiet'}`}
      role="status"
      aria-live="polite"
      data-testid="alarm-banner"
      data-unacknowledged={summary.unacknowledged_alarms}
      data-audible={audible ? 'on' : 'off'}
    >
      <button type="button" className="sy-alarm-count" onClick={open} title="Open the alarm list">
        {prio ? <span aria-hidden="true">{PRIORITY_GLYPH[prio]} </span> : null}
        <span data-testid="alarm-count">{summary.unacknowledged_alarms}</span> unacknowledged
        {prio ? <span className="sy-alarm-prio"> · highest {prio}</span> : null}
      </button>
      {newest ? (
        <span className="sy-alarm-newest" data-testid="alarm-newest">
          <span className="sy-alarm-time">{newest.activated_datetime ? new Date(newest.activated_datetime).toLocaleTimeString() : ''}</span> {newest.name}
          {newest.message ? ` — ${newest.message}` : ''}
          {/* an edge site's alarm is acknowledged at the site (central/remote-alarms.ts) */}
          {canOperate() && !isEdgeAlarm(newest) ? (
            <button type="button" disabled={busy} onClick={() => void ack(newest)} aria-label={`Acknowledge ${newest.name}`}>
              Ack
            </button>
          ) : null}
        </span>
      ) : (
        <span className="sy-alarm-newest" data-testid="alarm-newest">No alarms waiting</span>
      )}
      <button type="button" className="sy-alarm-silence" onClick={silence} disabled={!audible} aria-pressed={!audible} title="Silence the alarm sound until a new alarm comes">
        {audible ? '♪ Silence' : 'Sound silenced'}
      </button>
    </div>
  );
}
