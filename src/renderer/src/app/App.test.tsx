// @vitest-environment jsdom
/**
 * The shell keeps the navigation, the alarm banner and the status bar when a screen throws: the failing
 * screen shows what failed and a Retry that mounts it again.
 */
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const failing = vi.hoisted(() => ({ on: false, banner: false }));

vi.mock('../features/alarms', async (importOriginal) => {
  const real = await importOriginal<typeof import('../features/alarms')>();
  function AlarmBanner() {
    if (failing.banner) throw new Error('summary is undefined');
    return <real.AlarmBanner />;
  }
  return { ...real, AlarmBanner };
});

vi.mock('./routes', () => {
  function Broken() {
    if (failing.on) throw new Error('the plant list is not an array');
    return <p>Broken screen, now working</p>;
  }
  const Fine = () => <p>Fine screen</p>;
  const SCREENS = [
    { path: 'overview', label: 'Overview', component: Fine },
    { path: 'broken', label: 'Broken', component: Broken },
  ];
  return { SCREENS, screenFromHash: (h: string) => (/^#\/broken/.test(h) ? 'broken' : 'overview') };
});

import { App } from './App';

const SESSION = { user_uuid: 'u-1', token: 't-1', name: 'administrator', display_name: 'Administrator', is_admin: true, is_read_only: false };
const answers: Record<string, unknown> = {
  '/api/alarms?state=unacknowledged': [],
  '/api/status': { data_sources_online: 3, data_sources_offline: 0, unacknowledged_alarms: 0 },
};

beforeEach(() => {
  failing.on = false;
  failing.banner = false;
  sessionStorage.setItem('switchyard.session', JSON.stringify(SESSION));
  window.location.hash = '#/overview';
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      const path = new URL(url).pathname + new URL(url).search;
      return new Response(JSON.stringify(answers[path] ?? {}), { status: 200, headers: { 'Content-Type': 'application/json' } });
    }),
  );
  vi.stubGlobal(
    'WebSocket',
    class {
      static OPEN = 1;
      readyState = 0;
      send() {}
      close() {}
    },
  );
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  sessionStorage.clear();
});

describe('a failing screen', () => {
  it('shows what failed and a Retry while navigation, alarm banner and status bar stay', async () => {
    failing.on = true;
    render(<App />);
    await screen.findByText('Fine screen');
    act(() => {
      window.location.hash = '#/broken';
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    const alert = await screen.findByRole('alert', { name: 'Broken failed' });
    expect(alert.textContent).toContain('The Broken screen failed');
    expect(screen.getByTestId('screen-error').textContent).toBe('the plant list is not an array');
    // the shell is still there
    expect(screen.getByRole('navigation', { name: 'Screens' })).toBeTruthy();
    expect(screen.getByTestId('alarm-banner')).toBeTruthy();
    expect(screen.getByRole('contentinfo', { name: 'Status' })).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId('datasource-status').textContent).toContain('3 online'));
    // the failure was reported where developers and the e2e suite look
    expect(vi.mocked(console.error).mock.calls.some((c) => String(c[0]).includes('The Broken screen failed'))).toBe(true);
    // Retry mounts the screen again (here it works the second time)
    failing.on = false;
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await screen.findByText('Broken screen, now working');
    expect(screen.queryByRole('alert', { name: 'Broken failed' })).toBeNull();
  });

  it('a failing alarm banner is one line with a Retry; the screen and the navigation stay', async () => {
    failing.banner = true;
    render(<App />);
    await screen.findByText('Fine screen');
    const alert = await screen.findByRole('alert', { name: 'alarm banner failed' });
    expect(alert.textContent).toContain('summary is undefined');
    expect(screen.getByRole('navigation', { name: 'Screens' })).toBeTruthy();
    failing.banner = false;
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    await screen.findByTestId('alarm-banner');
  });

  it('another screen opens normally after a failure', async () => {
    failing.on = true;
    window.location.hash = '#/broken';
    render(<App />);
    await screen.findByRole('alert', { name: 'Broken failed' });
    act(() => {
      window.location.hash = '#/overview';
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    await screen.findByText('Fine screen');
  });
});
