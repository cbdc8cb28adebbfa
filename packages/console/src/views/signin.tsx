import { useState } from 'preact/hooks';

/** The first view: one field labelled "API key"; Enter or the button submits. */
export function SignIn({ onSubmit, busy, problem }: { onSubmit: (key: string) => void; busy: boolean; problem: string | undefined }) {
  const [key, setKey] = useState('');
  return (
    <main id="main" class="signin" data-view="sign-in">
      <h1>Claude Code Platform</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) onSubmit(key.trim());
        }}
      >
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autocomplete="off" spellcheck={false} value={key} onInput={(e) => setKey(e.currentTarget.value)} aria-describedby="key-hint" required />
        <p id="key-hint" class="hint">Kept in this tab only (sessionStorage) and sent as <code>Authorization: Bearer</code>. With <code>npm run demo</code>, paste the demo key it prints.</p>
        <button type="submit" disabled={busy}>Sign in</button>
        {problem ? <p class="error" role="alert">{problem}</p> : null}
      </form>
    </main>
  );
}
