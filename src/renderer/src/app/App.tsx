/**
 * The shell: login, navigation (Alt+1..9), the always-visible alarm banner, the screen (behind an error
 * boundary: a failing screen never takes the banner or the navigation with it), the status bar.
 * Any 401 from the API ends the session and returns to the login with the reason.
 */
import { useCallback, useEffect, useState } from 'react';
import { AlarmBanner, applyAlarmPush } from '../features/alarms';
import { live } from '../live/liveStore';
import { api, onUnauthorized } from './api';
import { Login } from './Login';
import { SCREENS, screenFromHash } from './routes';
import { clearSession, loadSession, type Session, saveSession } from './session';
import { StatusBar } from './StatusBar';
import { ScreenBoundary } from '../ui/ScreenBoundary';

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | null>(null);
  const [screen, setScreen] = useState(() => screenFromHash(window.location.hash));

  useEffect(() => {
    void loadSession().then((s) => setSession(s));
    const onHash = () => setScreen(screenFromHash(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const end = useCallback(async (reason: string | null) => {
    live.stop();
    await clearSession();
    setNotice(reason);
    setSession(null);
  }, []);

  useEffect(() => onUnauthorized((reason) => void end(reason)), [end]);

  useEffect(() => {
    if (!session) return;
    live.start();
    const off = live.on('alarms', (msg) => applyAlarmPush(msg as Parameters<typeof applyAlarmPush>[0]));
    return () => {
      off();
      live.stop();
    };
  }, [session]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const n = Number(e.key);
      if (n >= 1 && n <= SCREENS.length) {
        e.preventDefault();
        window.location.hash = `#/${SCREENS[n - 1].path}`;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  if (session === undefined) return null;
  if (!session)
    return (
      <Login
        notice={notice}
        onLogin={(s) => {
          void saveSession(s).then(() => {
            setNotice(null);
            setSession(s);
          });
        }}
      />
    );

  const current = SCREENS.find((s) => s.path === screen) ?? SCREENS[0];
  const Current = current.component;
  return (
    <div className="shell">
      <header className="top-bar">
        <span className="brand">Switchyard</span>
        <nav className="main-nav" aria-label="Screens">
          {SCREENS.map((s, i) => (
            <a key={s.path} href={`#/${s.path}`} aria-current={s.path === screen ? 'page' : undefined} title={`Alt+${i + 1}`}>
              {s.label}
            </a>
          ))}
        </nav>
      </header>
      <ScreenBoundary name="alarm banner" compact>
        <AlarmBanner />
      </ScreenBoundary>
      <main className="content" id="content">
        <ScreenBoundary key={current.path} name={current.label}>
          <Current />
        </ScreenBoundary>
      </main>
      <ScreenBoundary name="status bar" compact>
        <StatusBar
          user={session.display_name || session.name}
          onLogout={() => {
            void api.put('/users/logout').catch(() => undefined);
            void end(null);
          }}
        />
      </ScreenBoundary>
    </div>
  );
}
