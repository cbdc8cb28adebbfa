import { useState } from 'preact/hooks';
import { api } from '../api';
import type { Session } from '../api-types';
import { errorText, usePoll } from '../hooks';
import { loadPlugins } from './catalogue';

/** The caller's sessions; one opened shows its turns and takes the next message. */
export function SessionsView({ selected }: { selected: string | undefined }) {
  const { data, error, reload } = usePoll(() => api<{ sessions: Session[] }>('GET', '/v1/sessions'), 3000);
  const { data: plugins } = usePoll(loadPlugins, undefined);
  const [plugin, setPlugin] = useState('');
  const [problem, setProblem] = useState<string>();
  const startSession = async (e: Event) => {
    e.preventDefault();
    try {
      const chosen = plugin || plugins?.[0]?.id;
      const s = await api<{ sessionId: string }>('POST', `/v1/plugins/${encodeURIComponent(chosen ?? '')}/sessions`, {});
      setProblem(undefined);
      reload();
      location.hash = `#/sessions/${s.sessionId}`;
    } catch (err) {
      setProblem(errorText(err));
    }
  };
  return (
    <section aria-labelledby="sessions-title">
      <h1 id="sessions-title">Sessions</h1>
      {error || problem ? <p class="error" role="alert">{error ?? problem}</p> : null}
      <form class="inline" onSubmit={(e) => void startSession(e)}>
        <label for="session-plugin">Plugin</label>
        <select id="session-plugin" value={plugin} onChange={(e) => setPlugin(e.currentTarget.value)}>
          {(plugins ?? []).map((p) => <option key={p.id} value={p.id}>{p.id}</option>)}
        </select>
        <button type="submit">Start a session</button>
      </form>
      {data && data.sessions.length === 0 ? <p>No open sessions.</p> : null}
      {data?.sessions.length ? (
        <div class="table-wrap">
          <table>
            <caption>Your open sessions, most recently active first</caption>
            <thead><tr><th scope="col">Session</th><th scope="col">Plugin</th><th scope="col">Turns</th><th scope="col">Cost</th><th scope="col">Expires</th></tr></thead>
            <tbody>
              {data.sessions.map((s) => (
                <tr key={s.sessionId} data-session={s.sessionId}>
                  <td><a href={`#/sessions/${s.sessionId}`}><code>{s.sessionId.slice(0, 12)}</code></a></td>
                  <td>{s.plugin}</td>
                  <td data-testid="session-turns">{s.turns} / {s.maxTurns}</td>
                  <td>${s.usage.costUsd.toFixed(4)}</td>
                  <td><time dateTime={s.expiresAt}>{new Date(s.expiresAt).toLocaleTimeString()}</time></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {selected ? <SessionDetail id={selected} onChange={reload} /> : null}
    </section>
  );
}

/** Turns answered in this tab, kept for the page's life (the platform keeps the transcript itself, not a readable copy). */
const transcripts = new Map<string, { you: string; answer: string }[]>();

function SessionDetail({ id, onChange }: { id: string; onChange: () => void }) {
  const { data: session, error, reload } = usePoll(() => api<Session>('GET', `/v1/sessions/${id}`), undefined, [id]);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const turns = transcripts.get(id) ?? [];
  const send = async (e: Event) => {
    e.preventDefault();
    if (!text.trim()) {
      setProblem('text: must not be empty');
      return;
    }
    setBusy(true);
    try {
      const answer = await api<{ result: { text: string } }>('POST', `/v1/sessions/${id}/messages`, { text });
      transcripts.set(id, [...turns, { you: text, answer: answer.result.text }]);
      setText('');
      setProblem(undefined);
      reload();
      onChange();
    } catch (err) {
      setProblem(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="session-title">
      <h2 id="session-title">Session <code>{id}</code></h2>
      {error ? <p class="error" role="alert">{error}</p> : null}
      {session ? <p>{session.plugin} · {session.turns} of {session.maxTurns} turns · {session.usage.inputTokens + session.usage.outputTokens} tokens · ${session.usage.costUsd.toFixed(4)}</p> : null}
      <ol class="turns" data-testid="turns">
        {turns.map((t, i) => (
          <li key={i}><p><strong>You:</strong> {t.you}</p><p><strong>{session?.plugin ?? 'Plugin'}:</strong> {t.answer}</p></li>
        ))}
      </ol>
      <form onSubmit={(e) => void send(e)}>
        <label for="session-message">Message</label>
        <textarea id="session-message" rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <button type="submit" disabled={busy}>Continue the session</button>
        {problem ? <p class="error" role="alert">{problem}</p> : null}
      </form>
    </section>
  );
}
