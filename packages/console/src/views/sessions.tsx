import { useState } from 'preact/hooks';
import { api } from '../api';
import type { Session, SessionTurn } from '../api-types';
import { ResultFields } from '../result';
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
        <select id="session-plugin" value={plugin || plugins?.[0]?.id} onChange={(e) => setPlugin(e.currentTarget.value)}>
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

function SessionDetail({ id, onChange }: { id: string; onChange: () => void }) {
  const { data: session, error, reload } = usePoll(() => api<Session>('GET', `/v1/sessions/${id}`), undefined, [id]);
  // The platform keeps each session's turns (GET /v1/sessions/{id}/turns): a reload, another tab or replica shows the same.
  const { data: log, error: logError, reload: reloadTurns } = usePoll(() => api<{ turns: SessionTurn[] }>('GET', `/v1/sessions/${id}/turns`), undefined, [id]);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const send = async (e: Event) => {
    e.preventDefault();
    if (!text.trim()) {
      setProblem('text: must not be empty');
      return;
    }
    setBusy(true);
    try {
      await api<{ result: { text: string } }>('POST', `/v1/sessions/${id}/messages`, { text });
      setText('');
      setProblem(undefined);
      reload();
      reloadTurns();
      onChange();
    } catch (err) {
      setProblem(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const plugin = session?.plugin ?? 'Plugin';
  return (
    <section class="card" aria-labelledby="session-title">
      <h2 id="session-title">Session <code>{id}</code></h2>
      {error || logError ? <p class="error" role="alert">{error ?? logError}</p> : null}
      {session ? <p>{session.plugin} · {session.turns} of {session.maxTurns} turns · {session.usage.inputTokens + session.usage.outputTokens} tokens · ${session.usage.costUsd.toFixed(4)}</p> : null}
      {log && log.turns.length === 0 ? <p class="muted">No turns yet: send the first message below.</p> : null}
      <ol class="turns" data-testid="turns">
        {(log?.turns ?? []).map((t) => <Turn key={t.turn} turn={t} plugin={plugin} />)}
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

const textOf = (v: unknown): string | undefined => (typeof v === 'object' && v !== null && typeof (v as { text?: unknown }).text === 'string' ? (v as { text: string }).text : undefined);

/** One answered turn: what was asked and the answer (a message as text, an operation's result by its shape). */
function Turn({ turn, plugin }: { turn: SessionTurn; plugin: string }) {
  const asked = turn.operation === 'message' ? textOf(turn.input) : undefined;
  const answer = turn.operation === 'message' ? textOf(turn.result) : undefined;
  return (
    <li data-turn={turn.turn}>
      <p class="muted">Turn {turn.turn} · <time dateTime={turn.at}>{new Date(turn.at).toLocaleTimeString()}</time> · {turn.usage.inputTokens + turn.usage.outputTokens} tokens · ${turn.usage.costUsd.toFixed(4)} · {(turn.durationMs / 1000).toFixed(2)} s</p>
      <div><strong>You:</strong>{' '}
        {asked !== undefined ? asked : turn.omitted.includes('input') ? <em>the input was too large to keep</em> : (
          <details><summary>{turn.operation} input</summary><pre tabIndex={0}>{JSON.stringify(turn.input, null, 2)}</pre></details>
        )}
      </div>
      <div><strong>{plugin}:</strong>{' '}
        {answer !== undefined ? answer : turn.omitted.includes('result') ? <em>the answer was too large to keep</em> : <ResultFields result={turn.result} />}
      </div>
    </li>
  );
}
