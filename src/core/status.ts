import type { RuntimeStatus } from './feature';

/** The runtime status in the API's field names (GET /api/status and the live stream's status messages). */
export function statusFields(s: RuntimeStatus) {
  return {
    data_sources_online: s.dataSourcesOnline,
    data_sources_offline: s.dataSourcesOffline,
    unacknowledged_alarms: s.unacknowledgedAlarms,
    highest_alarm_priority: s.highestAlarmPriority,
  };
}
