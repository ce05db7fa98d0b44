/**
 * Discrete points (with state labels) accept only their defined states, and a command that defines its value
 * (e.g. "Close breaker" = 1) sends only that value: an operator cannot send the value that opens through the
 * command that closes.
 */
import { badRequest } from '../api/errors';
import type { Store } from '../store/store';
import { parseStateLabels, stateList } from '../../shared/states';

export function checkDiscreteWrite(store: Store, pointId: number, value: number, command?: { name: string; set_value: number | null }): void {
  const row = store.db.prepare('SELECT state_labels FROM points WHERE id = ?').get(pointId) as { state_labels: string | null } | undefined;
  const { labels } = parseStateLabels(row?.state_labels);
  if (!labels) return;
  if (command && command.set_value !== null && value !== command.set_value) {
    const fixed = labels[String(command.set_value)] ?? String(command.set_value);
    throw badRequest('API.INVALID_SET_VALUE', `command "${command.name}" sends ${fixed} (${command.set_value}) only`, 'set_value');
  }
  if (labels[String(value)] === undefined) {
    const states = stateList(labels).map((s) => `${s.value} (${s.label})`).join(', ');
    throw badRequest('API.INVALID_SET_VALUE', `the point accepts only its states: ${states}`, command ? 'set_value' : 'value');
  }
}
