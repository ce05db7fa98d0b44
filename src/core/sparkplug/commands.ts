/**
 * Device commands (DCMD) from a Sparkplug host: honoured only when the edge node enables commands, only for the
 * points it lists as writable, in the name of its configured user (who must exist, not be read-only and may see
 * the point), and always through the control arbiter as an operator request (audited, limits checked, held until
 * released like an operator's override). Every refusal is audited too (`sparkplug.command`, result `denied`).
 */
import type { AuditLog } from '../audit/audit';
import type { Access } from '../auth/access';
import type { AuthService } from '../auth/service';
import { checkDiscreteWrite } from '../control/discrete';
import type { ControlHub } from '../control/service';
import type { Store } from '../store/store';
import type { DeviceCommand } from './edge';
import { commandValue, type UMetric } from './wire';

export interface CommandDeps {
  store: Store;
  audit: AuditLog;
  auth: AuthService;
  access: Access;
  control: () => ControlHub | undefined;
  log: (line: string) => void;
}

export function commandHandler(deps: CommandDeps) {
  return async (c: DeviceCommand, m: UMetric): Promise<void> => {
    const host = `Sparkplug host (${c.node.groupId}/${c.node.edgeNodeId}/${c.device})`;
    const target = c.pointId !== null ? `points:${c.pointId}` : `sparkplug:${c.device}/${c.metric}`;
    const value = commandValue(m);
    const refuse = (why: string, user: { userId: number | null; userName: string } = { userId: null, userName: host }) => {
      deps.audit.record({ userId: user.userId, userName: user.userName, action: 'sparkplug.command', target, newValue: value ?? String(c.value), result: 'denied', details: { why, device: c.device, metric: c.metric, node: c.node.name } });
      deps.log(`sparkplug: ${c.node.name}: DCMD ${c.device}/${c.metric} refused: ${why}`);
    };
    if (!c.node.commandsEnabled) return refuse('commands are disabled on this edge node');
    if (c.pointId === null) return refuse(`no published metric ${c.metric} on device ${c.device}`);
    if (!c.node.writable.has(c.pointId)) return refuse('the point is not writable over Sparkplug (writable_point_ids)');
    if (value === null) return refuse('the value is not a number or a boolean');
    const who = c.node.commandUserId !== null ? deps.auth.byUserId(c.node.commandUserId) : null;
    if (!who) return refuse('the edge node has no valid command user (command_user_id)');
    const as = { ...who, userName: `${who.userName} via ${host}` };
    if (who.isReadOnly) return refuse('the command user is read-only', as);
    if (!deps.access.canSee(who, 'points', c.pointId)) return refuse('the command user may not see this point (privilege)', as);
    const hub = deps.control();
    if (!hub) return refuse('control is not running', as);
    try {
      // a discrete point with named states accepts only those, as from any other writer
      checkDiscreteWrite(deps.store, c.pointId, value);
      await hub.override(as, c.pointId, { value, reason: `Sparkplug DCMD ${c.device}/${c.metric}` }, { reasonPrefix: 'Sparkplug host' });
    } catch (e) {
      refuse((e as Error).message, as);
    }
  };
}
