// Lab-server mode: nobody signed in → the sign-in page; signed in → the app with who is signed in and a way out.
// Single-user modes (Electron, loopback browser) go straight to the app, as before.
import { useEffect, useState, type FormEvent } from 'react';
import { App } from '../App.js';
import { getSession, signIn, signOut, type SessionInfo } from '../api/index.js';
import { messageOf } from '../lib/errors.js';

const REVIEWER_KEY = 'emma.reviewer';

function SignIn({ onDone }: { onDone: (s: SessionInfo) => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    signIn(user.trim(), password).then(onDone, (err: unknown) => {
      setError(messageOf(err));
      setBusy(false);
    });
  };
  return (
    <main className="signin">
      <form className="signin-form" onSubmit={submit} aria-label="Sign in">
        <h1>Emma</h1>
        <p>This is a lab server: sign in with the account your lab lead gave you.</p>
        <label>
          User name
          <input name="user" autoComplete="username" value={user} onChange={(e) => setUser(e.target.value)} required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        {error && (
          <p className="signin-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

export function SessionGate() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  useEffect(() => {
    getSession().then(setSession, () => setSession({ lab: false }));
  }, []);
  useEffect(() => {
    // The review views show this name; the server records the signed-in user whatever the client sends.
    if (session?.lab) window.localStorage.setItem(REVIEWER_KEY, session.user);
  }, [session]);
  if (session === undefined) return null;
  if (session === null) return <SignIn onDone={setSession} />;
  if (!session.lab) return <App />;
  return (
    <>
      <div className="session-bar" aria-label="Signed in">
        {session.user} ({session.role}){' '}
        <button type="button" onClick={() => void signOut().then(() => setSession(null))}>
          Sign out
        </button>
      </div>
      <App />
    </>
  );
}
