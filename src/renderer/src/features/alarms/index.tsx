/**
 * The alarms feature: the alarm list (filter, sort, acknowledge, shelve, history), the alarm performance
 * page and the audit log, plus the always-visible AlarmBanner the shell shows on every screen.
 */
import { useEffect, useState } from 'react';
import { AlarmList } from './AlarmList';
import { AuditLogScreen } from './AuditLogScreen';
import { PerformancePanel } from './PerformancePanel';
import { retainAlarmPolling } from './store';
import './alarms.css';

export { AlarmBanner } from './AlarmBanner';
export { applyAlarmBlink, applyAlarmPush, retainAlarmPolling, selectUnacknowledgedPointIds, unacknowledgedPointIds, useAlarmStore } from './store';
export { AuditLogScreen } from './AuditLogScreen';

type Tab = 'list' | 'performance' | 'audit';
const TABS: [Tab, string][] = [
  ['list', 'Alarms'],
  ['performance', 'Performance'],
  ['audit', 'Audit log'],
];

/** #/alarms, #/alarms/performance, #/alarms/audit */
const tabFromHash = (): Tab => {
  const m = /^#\/alarms\/(performance|audit)/.exec(window.location.hash);
  return (m?.[1] as Tab) ?? 'list';
};

export default function AlarmsScreen() {
  const [tab, setTab] = useState<Tab>(tabFromHash);
  useEffect(() => retainAlarmPolling('full'), []);
  useEffect(() => {
    const on = () => setTab(tabFromHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  const choose = (t: Tab) => {
    setTab(t);
    if (window.location.hash.startsWith('#/alarms')) window.history.replaceState(null, '', t === 'list' ? '#/alarms' : `#/alarms/${t}`);
  };
  return (
    <div className="sy-alarms">
      <h1>Alarms</h1>
      <div className="sy-tabs" role="tablist">
        {TABS.map(([t, label]) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} onClick={() => choose(t)}>
            {label}
          </button>
        ))}
      </div>
      {tab === 'list' ? <AlarmList /> : tab === 'performance' ? <PerformancePanel /> : <AuditLogScreen />}
    </div>
  );
}
