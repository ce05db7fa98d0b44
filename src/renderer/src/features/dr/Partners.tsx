/**
 * Partners and enrolment (administrator): each partner's role (a VEN, or the operator's business logic client of
 * the OpenADR VTN), its OAuth2 client id and VEN, the programs it sees (enrolled, or through an event aimed at one
 * of its resources) and its resources; a new partner's secret shown once; which partners each program enrols.
 */
import { useState } from 'react';
import { api, ApiError } from '../../app/api';

export interface Partner {
  id: number;
  name: string;
  role: 'ven' | 'bl';
  client_id: string;
  ven_name: string | null;
  programs: { id: number; name: string; explicit: boolean }[];
}
export interface EnrolProgram {
  id: number;
  name: string;
  partner_ids: number[];
}
interface PartnerResource {
  id: number;
  resource_id: string;
  partner: { id: number; name: string } | null;
}

const ROLE_TEXT = { ven: 'VEN', bl: 'business logic' } as const;

function NewPartner({ onCreated }: { onCreated: (message: string) => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<'ven' | 'bl'>('ven');
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; client_id: string; api_key: string } | null>(null);
  const submit = async () => {
    setError(null);
    try {
      const r = await api.post<{ name: string; client_id: string; api_key: string }>('/dr/partners', { name, role });
      setCreated(r);
      setName('');
      onCreated(`Partner ${r.name} added.`);
    } catch (e) {
      setError(e instanceof ApiError ? `${e.field ? `${e.field}: ` : ''}${e.message}` : (e as Error).message);
    }
  };
  return (
    <form
      className="dr-form"
      aria-label="New partner"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label>
        Partner name <input value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value as 'ven' | 'bl')} aria-label="New partner role">
          <option value="ven">VEN (sees its own programs and events)</option>
          <option value="bl">business logic (reads and writes everything)</option>
        </select>
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit">Add partner</button>
      {created && (
        <div className="dr-secret" role="region" aria-label="New partner credentials">
          <p>
            Client id <code>{created.client_id}</code>
          </p>
          <p>
            Secret (API key), shown once: <code>{created.api_key}</code>
          </p>
        </div>
      )}
    </form>
  );
}

export function PartnersPanel({ partners, programs, resources, onChange }: { partners: Partner[]; programs: EnrolProgram[]; resources: PartnerResource[]; onChange: (message: string) => void }) {
  const [error, setError] = useState<string | null>(null);
  const run = async (fn: () => Promise<unknown>, ok: string) => {
    setError(null);
    try {
      await fn();
      onChange(ok);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const enrol = (program: EnrolProgram, partner: Partner, on: boolean) => {
    const ids = on ? [...new Set([...program.partner_ids, partner.id])] : program.partner_ids.filter((x) => x !== partner.id);
    void run(() => api.put(`/dr/programs/${program.id}/partners`, { partner_ids: ids }), `${partner.name} ${on ? 'enrolled in' : 'removed from'} ${program.name}.`);
  };
  const vens = partners.filter((p) => p.role === 'ven');
  return (
    <section aria-label="Partners and enrolment">
      <h2>Partners</h2>
      <table className="grid" aria-label="Partners">
        <thead>
          <tr>
            <th>Partner</th>
            <th>Role</th>
            <th>Client id</th>
            <th>VEN</th>
            <th>Programs</th>
            <th>Resources</th>
          </tr>
        </thead>
        <tbody>
          {partners.map((p) => (
            <tr key={p.id}>
              <td>{p.name}</td>
              <td>
                <select aria-label={`Role of ${p.name}`} value={p.role} onChange={(e) => void run(() => api.put(`/dr/partners/${p.id}`, { role: e.target.value }), `${p.name} is now ${ROLE_TEXT[e.target.value as 'ven' | 'bl']}.`)}>
                  <option value="ven">{ROLE_TEXT.ven}</option>
                  <option value="bl">{ROLE_TEXT.bl}</option>
                </select>
              </td>
              <td>
                <code>{p.client_id}</code>
              </td>
              <td>{p.ven_name ?? (p.role === 'ven' ? 'not registered' : '-')}</td>
              <td>{p.role === 'bl' ? 'all' : p.programs.map((x) => (x.explicit ? x.name : `${x.name} (by target)`)).join(', ') || '-'}</td>
              <td>{resources.filter((r) => r.partner?.id === p.id).map((r) => r.resource_id).join(', ') || '-'}</td>
            </tr>
          ))}
          {partners.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                no partners
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <h2>Enrolment</h2>
      {vens.length === 0 || programs.length === 0 ? (
        <p className="muted">Enrolment needs a program and a VEN partner.</p>
      ) : (
        <table className="grid" aria-label="Enrolment">
          <thead>
            <tr>
              <th>Program</th>
              {vens.map((v) => (
                <th key={v.id}>{v.name}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {programs.map((pr) => (
              <tr key={pr.id}>
                <td>{pr.name}</td>
                {vens.map((v) => (
                  <td key={v.id}>
                    <input type="checkbox" aria-label={`${v.name} in ${pr.name}`} checked={pr.partner_ids.includes(v.id)} onChange={(e) => enrol(pr, v, e.target.checked)} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <NewPartner onCreated={onChange} />
    </section>
  );
}
