import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, currentKey, setKey, type Me } from './api';
import { errorText } from './hooks';
import { AdminView } from './views/admin';
import { CatalogueView } from './views/catalogue';
import { JobsView } from './views/jobs';
import { PlaygroundView } from './views/playground';
import { SessionsView } from './views/sessions';
import { SignIn } from './views/signin';
import { StatusView } from './views/status';

/** The views, in the order of the navigation; `admin` only for admin keys. */
const VIEWS = [
  { id: 'catalogue', title: 'Catalogue' },
  { id: 'playground', title: 'Playground' },
  { id: 'jobs', title: 'Jobs' },
  { id: 'sessions', title: 'Sessions' },
  { id: 'status', title: 'Status' },
  { id: 'admin', title: 'Admin', admin: true },
] as const;

/** The location hash as a view and its arguments: `#/playground/code-review/review`. */
function route(): string[] {
  return location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

function App() {
  const [me, setMe] = useState<Me>();
  const [checking, setChecking] = useState(currentKey() !== undefined);
  const [problem, setProblem] = useState<string>();
  const [path, setPath] = useState(route());
  useEffect(() => {
    const onHash = () => setPath(route());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const signIn = async (key: string) => {
    setKey(key);
    setChecking(true);
    try {
      setMe(await api<Me>('GET', '/v1/me'));
      setProblem(undefined);
      if (!route()[0] || route()[0] === 'sign-in') location.hash = '#/catalogue';
    } catch (err) {
      setKey(undefined);
      setProblem(errorText(err));
    } finally {
      setChecking(false);
    }
  };
  useEffect(() => {
    const key = currentKey();
    if (key) void signIn(key);
  }, []);
  useEffect(() => {
    const view = VIEWS.find((v) => v.id === path[0]);
    document.title = `${view?.title ?? 'Sign in'} · Claude Code Platform console`;
  }, [path, me]);

  if (!me) {
    return <SignIn onSubmit={signIn} busy={checking} problem={problem} />;
  }
  const isAdmin = me.roles.includes('admin');
  const shown = VIEWS.filter((v) => !('admin' in v) || isAdmin);
  const view = shown.find((v) => v.id === path[0]) ?? shown[0]!;
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">Claude Code Platform</span>
        <nav aria-label="Console">
          <ul>
            {shown.map((v) => (
              <li key={v.id}>
                <a href={`#/${v.id}`} aria-current={v.id === view.id ? 'page' : undefined}>{v.title}</a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          <span class="muted">key</span> <strong data-testid="key-name">{me.name}</strong>
          <button type="button" class="link" onClick={() => { setKey(undefined); setMe(undefined); location.hash = '#/sign-in'; }}>Sign out</button>
        </span>
      </header>
      <main id="main" tabIndex={-1} data-view={view.id}>
        {view.id === 'catalogue' && <CatalogueView />}
        {view.id === 'playground' && <PlaygroundView plugin={path[1]} operation={path[2]} />}
        {view.id === 'jobs' && <JobsView selected={path[1]} />}
        {view.id === 'sessions' && <SessionsView selected={path[1]} />}
        {view.id === 'status' && <StatusView />}
        {view.id === 'admin' && isAdmin && <AdminView />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
