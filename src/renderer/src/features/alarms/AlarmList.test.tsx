// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AlarmList } from './AlarmList';
import { useAlarmStore } from './store';
import type { Alarm } from './types';
import { saveSession } from '../../app/session';

const user = (role: 'admin' | 'operator' | 'read-only') => ({ user_uuid: 'u', token: 't', name: role, is_admin: role === 'admin', is_read_only: role === 'read-only' });
beforeEach(() => saveSession(user('operator')));

const alarm = (id: number, over: Partial<Alarm>): Alarm => ({
  id,
  source: 'point',
  source_id: id,
  point_id: id,
  condition: 'HI',
  name: `Alarm ${id}`,
  message: null,
  priority: 'MEDIUM',
  state: 'UNACK',
  active: true,
  acknowledged: false,
  shelved: false,
  shelved_until: null,
  shelved_reason: null,
  shelved_by: null,
  suppressed: false,
  out_of_service: false,
  value: null,
  limit: null,
  activated_datetime: `2026-11-20T08:0${id}:00.000Z`,
  cleared_datetime: null,
  acknowledged_datetime: null,
  acknowledged_by: null,
  ack_comment: null,
  last_change_datetime: `2026-11-20T08:0${id}:00.000Z`,
  ...over,
});

describe('AlarmList', () => {
  const puts: { url: string; body: unknown }[] = [];
  beforeEach(() => {
    puts.length = 0;
    const list = [alarm(1, { name: 'Pump HI', priority: 'LOW' }), alarm(2, { name: 'Feeder HIHI', priority: 'CRITICAL' }), alarm(3, { name: 'Tank LO', priority: 'HIGH', state: 'ACKED', acknowledged: true })];
    useAlarmStore.setState({ byId: new Map(list.map((a) => [a.id, a])) });
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        if (init?.method === 'PUT') {
          puts.push({ url, body: JSON.parse(String(init.body ?? '{}')) });
          return new Response('{"acknowledged":[],"skipped":[]}', { status: 200 });
        }
        if (url.includes('/history')) return new Response('[]', { status: 200 });
        return new Response(JSON.stringify(list), { status: 200 });
      }),
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('shows a read-only user the alarms without acknowledge, shelve or selection; the marker blinks, not the row', async () => {
    await saveSession(user('read-only'));
    render(<AlarmList />);
    const table = screen.getByTestId('alarm-table');
    expect(table.querySelectorAll('tbody tr')).toHaveLength(3);
    expect(within(table).queryAllByRole('button', { name: /Acknowledge|Shelve|Unshelve/ })).toHaveLength(0);
    expect(within(table).queryAllByRole('checkbox')).toHaveLength(0);
    expect(screen.queryByRole('button', { name: /Acknowledge selected/ })).toBeNull();
    expect(within(table).getAllByRole('button', { name: 'History' })).toHaveLength(3);
    // two unacknowledged alarms: each row has the blinking marker
    expect(within(table).getAllByRole('img', { name: 'Unacknowledged' })).toHaveLength(2);
  });

  it('offers an operator acknowledge and shelve', () => {
    render(<AlarmList />);
    const table = screen.getByTestId('alarm-table');
    expect(within(table).getAllByRole('button', { name: 'Acknowledge' })).toHaveLength(2);
    expect(within(table).getAllByRole('button', { name: 'Shelve' })).toHaveLength(3);
  });

  const names = () => Array.from(screen.getByTestId('alarm-table').querySelectorAll('tbody tr')).map((r) => r.children[3].textContent);

  it('sorts by priority first, and by name when the header is clicked', () => {
    render(<AlarmList />);
    expect(names()).toEqual(['Feeder HIHI', 'Tank LO', 'Pump HI']);
    fireEvent.click(screen.getByRole('button', { name: /^Alarm/ }));
    expect(names()).toEqual(['Feeder HIHI', 'Pump HI', 'Tank LO']);
    fireEvent.click(screen.getByRole('button', { name: /^Alarm/ }));
    expect(names()).toEqual(['Tank LO', 'Pump HI', 'Feeder HIHI']);
  });

  it('filters by priority and text', () => {
    render(<AlarmList />);
    fireEvent.change(screen.getByLabelText('Priority filter'), { target: { value: 'CRITICAL' } });
    expect(names()).toEqual(['Feeder HIHI']);
    fireEvent.change(screen.getByLabelText('Priority filter'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Text filter'), { target: { value: 'tank' } });
    expect(names()).toEqual(['Tank LO']);
  });

  it('acknowledges the selected unacknowledged alarms at once with a comment', async () => {
    render(<AlarmList />);
    fireEvent.click(screen.getByLabelText('Select all shown'));
    const button = screen.getByRole('button', { name: 'Acknowledge selected (2)' }); // the acknowledged one is not counted
    fireEvent.click(button);
    const dialog = screen.getByRole('dialog', { name: 'Acknowledge alarms' });
    fireEvent.change(within(dialog).getByLabelText('Comment'), { target: { value: 'storm front passing' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Acknowledge' }));
    await waitFor(() => expect(puts).toHaveLength(1));
    expect(puts[0].url).toMatch(/\/api\/alarms\/ack$/);
    expect(puts[0].body).toEqual({ data: { ids: [2, 1], comment: 'storm front passing' } });
  });

  it('shelving needs a reason; Escape closes the dialog', async () => {
    render(<AlarmList />);
    const row = screen.getByTestId('alarm-table').querySelector('tr[data-alarm-id="1"]') as HTMLElement;
    fireEvent.click(within(row).getByRole('button', { name: 'Shelve' }));
    const dialog = screen.getByRole('dialog', { name: 'Shelve alarm' });
    const submit = within(dialog).getByRole('button', { name: 'Shelve' }) as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    fireEvent.change(within(dialog).getByLabelText('Reason'), { target: { value: 'maintenance' } });
    fireEvent.change(within(dialog).getByLabelText('Minutes'), { target: { value: '0' } });
    expect(submit.disabled).toBe(true);
    fireEvent.change(within(dialog).getByLabelText('Minutes'), { target: { value: '45' } });
    expect(submit.disabled).toBe(false);
    fireEvent.keyDown(within(dialog).getByLabelText('Reason'), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    fireEvent.click(within(row).getByRole('button', { name: 'Shelve' }));
    const again = screen.getByRole('dialog', { name: 'Shelve alarm' });
    fireEvent.change(within(again).getByLabelText('Reason'), { target: { value: 'maintenance' } });
    fireEvent.click(within(again).getByRole('button', { name: 'Shelve' }));
    await waitFor(() => expect(puts).toHaveLength(1));
    expect(puts[0]).toMatchObject({ body: { data: { minutes: 30, reason: 'maintenance' } } });
    expect(puts[0].url).toMatch(/\/api\/alarms\/1\/shelve$/);
  });
});

describe('AlarmList in a flood', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });
  it('renders at most MAX_ROWS rows, most severe first, and says how many more match', () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('[]', { status: 200 })));
    const many = Array.from({ length: 1200 }, (_, i) => alarm(i + 10, { name: `Flood ${i}`, priority: i === 1100 ? 'CRITICAL' : 'LOW' }));
    useAlarmStore.setState({ byId: new Map(many.map((a) => [a.id, a])) });
    render(<AlarmList />);
    const rows = screen.getByTestId('alarm-table').querySelectorAll('tbody tr');
    expect(rows).toHaveLength(500);
    expect(rows[0].children[3].textContent).toBe('Flood 1100');
    expect(screen.getByText(/500 of 1200 shown/)).toBeTruthy();
  });
});
