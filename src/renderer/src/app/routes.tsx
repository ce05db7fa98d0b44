/** The screens of the shell, in navigation order (Alt+1 … Alt+9 jump to them). */
import type { ComponentType } from 'react';
import AlarmsScreen from '../features/alarms';
import ConfigurationScreen from '../features/configuration';
import DemandResponseScreen from '../features/dr';
import DiagramsScreen from '../features/diagrams';
import MicrogridsScreen from '../features/microgrids';
import OverviewScreen from '../features/overview';
import ReportsScreen from '../features/reports';
import SitesScreen from '../features/sites';
import StorageScreen from '../features/storage';
import TrendsScreen from '../features/trends';

export interface Screen {
  path: string;
  label: string;
  component: ComponentType;
}

export const SCREENS: Screen[] = [
  { path: 'overview', label: 'Overview', component: OverviewScreen },
  { path: 'diagrams', label: 'Diagrams', component: DiagramsScreen },
  { path: 'microgrids', label: 'Microgrids', component: MicrogridsScreen },
  { path: 'storage', label: 'Storage', component: StorageScreen },
  { path: 'dr', label: 'Demand response', component: DemandResponseScreen },
  { path: 'alarms', label: 'Alarms', component: AlarmsScreen },
  { path: 'trends', label: 'Trends', component: TrendsScreen },
  { path: 'reports', label: 'Reports', component: ReportsScreen },
  { path: 'sites', label: 'Sites', component: SitesScreen },
  { path: 'configuration', label: 'Configuration', component: ConfigurationScreen },
];

/** "#/trends?points=1,2" -> "trends" */
export function screenFromHash(hash: string): string {
  const m = /^#\/([a-z]+)/.exec(hash);
  return m && SCREENS.some((s) => s.path === m[1]) ? m[1] : 'overview';
}
