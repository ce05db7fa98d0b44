import type { RuntimeStatus } from '../core/feature';

/** The tray's tooltip: what an operator glancing at the taskbar needs to know. */
export function trayTooltip(status: RuntimeStatus): string {
  const parts: string[] = [];
  if (status.dataSourcesOffline > 0) parts.push(`${status.dataSourcesOffline} data source${status.dataSourcesOffline === 1 ? '' : 's'} offline`);
  if (status.unacknowledgedAlarms > 0) {
    parts.push(`${status.unacknowledgedAlarms} unacknowledged alarm${status.unacknowledgedAlarms === 1 ? '' : 's'}${status.highestAlarmPriority ? ` (highest ${status.highestAlarmPriority})` : ''}`);
  }
  return parts.length ? `Switchyard: ${parts.join(', ')}` : `Switchyard: ${status.dataSourcesOnline} data sources online, no unacknowledged alarms`;
}

/** Which icon the tray shows: normal, or the attention icon while something is wrong. */
export function trayState(status: RuntimeStatus): 'normal' | 'attention' {
  return status.dataSourcesOffline > 0 || status.unacknowledgedAlarms > 0 ? 'attention' : 'normal';
}
