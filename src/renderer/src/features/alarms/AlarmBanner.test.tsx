// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AlarmBanner } from './AlarmBanner';
import { applyAlarmPush, useAlarmStore } from './store';
import type { Alarm } from './types';
import { saveSession } from '../../app/session';

const user = (role: 'admin' | 'operator' | 'read-only') => ({ user_uuid: 'u', token: 't', name: role, is_admin: role === 'admin', is_read_only: role === 'read-only' });
beforeEach(() => saveSession(user('operator')));

const alarm = (id: number, over: Partial<Alarm> = {}): Alarm => ({
  id,
  source: 'point',
  source_id: id,
  point_id: id,
  condition: 'HI',
  name: `Feeder ${id} HI`,
  message: `Feeder ${id} is above its high limit`,
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
  value: '120',
  limit: 100,
  activated_datetime: new Date(Date.now() - 60_000).toISOString(),
  cleared_datetime: null,
  acknowledged_datetime: null,
  acknowledged_by: null,
  ack_comment: null,
  last_change_datetime: new Date().toISOString(),
  ...over,
});

describe('AlarmBanner', () => {
  let served: Alarm[];
  const calls: { method: string; url: string }[] = [];
  beforeEach(() => {
    served = [alarm(1), alarm(2, { priority: 'CRITICAL', state: 'ACKED', acknowledged: true })];
    calls.length = 0;
    useAlarmStore.setState({ byId: new Map(), silencedAt: null });
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        calls.push({ method: init?.method ?? 'GET', url });
        if (init?.method === 'PUT') {
          served = served.map((a) => (url.endsWith(`/alarms/${a.id}/ack`) ? { ...a, acknowledged: true, state: 'ACKED' } : a));
          return new Response('{}', { status: 200 });
        }
        return new Response(JSON.stringify(served.filter((a) => !a.acknowledged)), { status: 200 });
      }),
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('shows the unacknowledged count, the most severe priority among them and the newest, and acknowledges it', async () => {
    render(<AlarmBanner />);
    const banner = screen.getByTestId('alarm-banner');
    await waitFor(() => expect(banner.getAttribute('data-unacknowledged')).toBe('1'));
    expect(banner.textContent).toContain('highest MEDIUM'); // the acknowledged CRITICAL one does not count
    expect(screen.getByTestId('alarm-newest').textContent).toContain('Feeder 1 HI');
    expect(calls[0].url).toMatch(/\/api\/alarms\?state=unacknowledged$/);
    fireEvent.click(screen.getByRole('button', { name: 'Acknowledge Feeder 1 HI' }));
    await waitFor(() => expect(banner.getAttribute('data-unacknowledged')).toBe('0'));
    expect(calls.some((c) => c.method === 'PUT' && c.url.endsWith('/api/alarms/1/ack'))).toBe(true);
    expect(screen.getByTestId('alarm-newest').textContent).toBe('No alarms waiting');
  });

  it('silences the audible cue until a newer alarm activates', async () => {
    render(<AlarmBanner />);
    const banner = screen.getByTestId('alarm-banner');
    await waitFor(() => expect(banner.getAttribute('data-audible')).toBe('on'));
    fireEvent.click(screen.getByRole('button', { name: /Silence/ }));
    expect(banner.getAttribute('data-audible')).toBe('off');
    // a live push of an alarm that activated after the silence turns the sound back on
    await new Promise((r) => setTimeout(r, 5));
    const newer = alarm(3, { priority: 'HIGH', activated_datetime: new Date(Date.now() + 1).toISOString() });
    served.push(newer);
    act(() => applyAlarmPush({ changed: [newer] }));
    expect(banner.getAttribute('data-audible')).toBe('on');
    expect(banner.textContent).toContain('highest HIGH');
    expect(banner.getAttribute('data-unacknowledged')).toBe('2');
  });
});
