/**
 * The storage controllers of a container: each controller in its priority order with its state and why
 * ("discharging 35 kW: import 235 kW > limit 200 kW"), what the arbiter drives the battery to, and the settings
 * (peak shaving, SOC limits and reserve, schedules, time of use) changed here through /api/storagecontrols.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../../app/api';
import { canConfigure } from '../../app/session';
import { Faceplate } from '../../ui/Faceplate';

interface ControllerState {
  controller: string;
  enabled: boolean;
  active: boolean;
  value: number | null;
  text: string;
}

interface Status {
  id: number;
  soc: number | null;
  grid_kw: number | null;
  price: { value: number; unit: string; source: string } | null;
  controllers: ControllerState[];
  setpoint: { target: number | null; why: string; requests: { owner: string; source: string; winning: boolean }[] };
}

interface Config {
  id: number;
  name: string;
  energy_storage_container_id: number | null;
  setpoint_point_id: number;
  peak_shaving: boolean;
  import_limit: number | null;
  recharge_below: number | null;
  soc_floor: number | null;
  soc_ceiling: number | null;
  backup_reserve: number | null;
  schedules: boolean;
  time_of_use: boolean;
}

const LABEL: Record<string, string> = { soc_limits: 'SOC limits', peak_shaving: 'Peak shaving', schedule: 'Schedule', time_of_use: 'Time of use', recharge: 'Recharge' };
const NUMBERS: [keyof Config, string][] = [
  ['import_limit', 'Import limit (kW)'],
  ['recharge_below', 'Recharge below (kW)'],
  ['soc_floor', 'SOC floor (%)'],
  ['soc_ceiling', 'SOC ceiling (%)'],
  ['backup_reserve', 'Backup reserve (%)'],
];
const SWITCHES: [keyof Config, string][] = [
  ['peak_shaving', 'Peak shaving'],
  ['schedules', 'Schedules'],
  ['time_of_use', 'Time of use'],
];

export function StorageControllers({ container }: { container: number }) {
  const [config, setConfig] = useState<Config | null>(null);
  const [status, setStatus] = useState<Status | null>(null);
  const [draft, setDraft] = useState<Record<string, string | boolean>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [faceplate, setFaceplate] = useState(false);

  const loadConfig = useCallback(async () => {
    const all = await api.get<Config[]>('/storagecontrols');
    const c = all.find((x) => x.energy_storage_container_id === container) ?? null;
    setConfig(c);
    setLoaded(true);
    if (c) setDraft(Object.fromEntries([...NUMBERS.map(([k]) => [k, c[k] === null ? '' : String(c[k])]), ...SWITCHES.map(([k]) => [k, Boolean(c[k])])]));
  }, [container]);
  useEffect(() => {
    void loadConfig().catch((e: Error) => setError(e.message));
  }, [loadConfig]);
  useEffect(() => {
    if (!config) return;
    const poll = () => void api.get<Status>(`/control/storage/${config.id}`).then(setStatus).catch(() => undefined);
    poll();
    const t = setInterval(poll, 2000);
    return () => clearInterval(t);
  }, [config]);

  const save = async () => {
    if (!config) return;
    setError(null);
    setMessage(null);
    const body: Record<string, unknown> = {};
    for (const [k] of NUMBERS) body[k] = draft[k] === '' ? null : Number(draft[k]);
    for (const [k] of SWITCHES) body[k] = draft[k];
    try {
      await api.put(`/storagecontrols/${config.id}`, body);
      setMessage('Saved: the controllers use the new settings from the next cycle.');
      await loadConfig();
    } catch (e) {
      setError(e instanceof ApiError ? `${e.field ? `${e.field}: ` : ''}${e.message}` : (e as Error).message);
    }
  };

  if (!loaded) return null;
  if (!config) return <p className="muted">No storage controller is configured for this container (Configuration › Control › Storage Controller).</p>;
  const winner = status?.setpoint.requests.find((r) => r.winning);
  return (
    <section aria-label="Storage controllers" className="storage-controllers">
      <h2>Controllers: {config.name}</h2>
      {status && (
        <p data-testid="storage-setpoint">
          Setpoint {status.setpoint.target === null ? 'not driven' : `${Math.round(status.setpoint.target * 10) / 10} kW`} ({status.setpoint.why}); SOC {status.soc === null ? 'unknown' : `${Math.round(status.soc * 10) / 10} %`}, grid{' '}
          {status.grid_kw === null ? 'unknown' : `${Math.round(status.grid_kw * 10) / 10} kW`}
          {status.price ? `, price ${status.price.value} ${status.price.unit}` : ''}{' '}
          <button type="button" onClick={() => setFaceplate(true)}>
            Setpoint requests…
          </button>
        </p>
      )}
      {faceplate && <Faceplate pointId={config.setpoint_point_id} onClose={() => setFaceplate(false)} />}
      <table className="grid" aria-label="Controller states">
        <thead>
          <tr>
            <th>Order</th>
            <th>Controller</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {(status?.controllers ?? []).map((c, i) => (
            <tr key={c.controller} className={winner?.owner.endsWith(`:${c.controller}`) ? 'winning' : undefined}>
              <td className="num">{i + 1}</td>
              <td>
                {LABEL[c.controller] ?? c.controller}
                {winner?.owner.endsWith(`:${c.controller}`) ? ' ▶' : ''}
              </td>
              <td>{c.enabled ? c.text : 'off'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        aria-label="Controller settings"
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <fieldset disabled={!canConfigure()} className="settings-fields">
        {SWITCHES.map(([k, label]) => (
          <label key={k}>
            <input type="checkbox" checked={Boolean(draft[k])} onChange={(e) => setDraft({ ...draft, [k]: e.target.checked })} /> {label}
          </label>
        ))}
        {NUMBERS.map(([k, label]) => (
          <label key={k}>
            {label}
            <input type="number" step="any" value={String(draft[k] ?? '')} onChange={(e) => setDraft({ ...draft, [k]: e.target.value })} />
          </label>
        ))}
        </fieldset>
        {/* the settings are configuration: an administrator's to change */}
        {canConfigure() && (
          <button type="submit" className="primary">
            Save settings
          </button>
        )}
      </form>
      {message && <p role="status">{message}</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
