import { useState } from 'react';
import { api, ApiError } from './api';
import type { Session } from './session';

export function Login({ onLogin, notice }: { onLogin: (s: Session) => void; notice: string | null }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const body = name.includes('@') ? { email: name, password } : { name, password };
      onLogin(await api.put<Session>('/users/login', body));
    } catch (e) {
      setError(e instanceof ApiError && e.status !== 0 ? e.message : 'The Switchyard runtime cannot be reached.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <form
        className="login-box"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h1>Switchyard</h1>
        {notice && <p className="notice" role="status">{notice}</p>}
        <label>
          User name or e-mail
          <input name="name" autoComplete="username" autoFocus value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
