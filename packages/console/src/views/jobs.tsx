import { useState } from 'preact/hooks';
import { api, apiText, type CallResult, type PluginInfo } from '../api';
import type { Job, JobSummary } from '../api-types';
import { errorText, usePoll } from '../hooks';
import { ResultView } from '../result';
import { loadPlugins } from './catalogue';

const live = (j: JobSummary) => j.state === 'queued' || j.state === 'running';

/** The caller's jobs, refreshed every second: live state and progress, cancel, each result format. */
export function JobsView({ selected }: { selected: string | undefined }) {
  const { data, error, reload } = usePoll(() => api<{ jobs: JobSummary[] }>('GET', '/v1/jobs?limit=50'), 1000);
  const [problem, setProblem] = useState<string>();
  const act = async (job: JobSummary) => {
    try {
      await api('DELETE', `/v1/jobs/${job.id}`);
      setProblem(undefined);
      reload();
    } catch (err) {
      setProblem(errorText(err));
    }
  };
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      {error || problem ? <p class="error" role="alert">{error ?? problem}</p> : null}
      {data && data.jobs.length === 0 ? <p>No jobs yet: run one from the playground with “Run as a job”.</p> : null}
      {data?.jobs.length ? (
        <div class="table-wrap">
          <table class="jobs">
            <caption>Your jobs, newest first (refreshed every second)</caption>
            <thead><tr><th scope="col">Job</th><th scope="col">Operation</th><th scope="col">State</th><th scope="col">Created</th><th scope="col">Progress</th><th scope="col">Actions</th></tr></thead>
            <tbody>
              {data.jobs.map((j) => (
                <tr key={j.id} data-job={j.id}>
                  <td><a href={`#/jobs/${j.id}`}><code>{j.id.slice(0, 12)}</code></a></td>
                  <td>{j.plugin} · {j.operation}</td>
                  <td><span class={`badge state-${j.state}`} data-testid="job-state">{j.state}</span></td>
                  <td><time dateTime={j.createdAt}>{new Date(j.createdAt).toLocaleTimeString()}</time></td>
                  <td>{j.progress.turns} turns, {j.progress.toolCalls} tool calls, ${j.progress.costUsd.toFixed(4)}</td>
                  <td><button type="button" class={live(j) ? 'danger' : 'link'} onClick={() => void act(j)} aria-label={`${live(j) ? 'Cancel' : 'Delete'} job ${j.id}`}>{live(j) ? 'Cancel' : 'Delete'}</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {selected ? <JobDetail id={selected} /> : null}
    </section>
  );
}

function JobDetail({ id }: { id: string }) {
  const { data: job, error } = usePoll(() => api<Job>('GET', `/v1/jobs/${id}`), 1000, [id]);
  const { data: plugins } = usePoll(loadPlugins, undefined);
  const [format, setFormat] = useState<{ name: string; text: string }>();
  const formats = plugins?.find((p: PluginInfo) => p.id === job?.plugin)?.operations.find((o) => o.name === job?.operation)?.formats ?? [];
  const fetchFormat = async (name: string, mediaType: string) => {
    try {
      setFormat({ name, text: await apiText(`/v1/jobs/${id}/result?format=${encodeURIComponent(name)}`, mediaType) });
    } catch (err) {
      setFormat({ name, text: errorText(err) });
    }
  };
  return (
    <section class="card" aria-labelledby="job-title">
      <h2 id="job-title">Job <code>{id}</code></h2>
      {error ? <p class="error" role="alert">{error}</p> : null}
      {job ? (
        <>
          <p>State: <span class={`badge state-${job.state}`}>{job.state}</span> · {job.plugin} · {job.operation}{job.progress.tools.length ? ` · tools: ${job.progress.tools.join(', ')}` : ''}</p>
          {job.error ? <p class="error">{job.error.code}: {job.error.detail}</p> : null}
          {job.result ? <ResultView body={job.result as CallResult} /> : null}
          {job.result && formats.length ? (
            <div class="formats">
              <h3>Other formats</h3>
              {formats.map((f) => <button type="button" key={f.name} onClick={() => void fetchFormat(f.name, f.mediaType)}>{f.name}</button>)}
              {format ? <pre tabIndex={0} role="region" class="code" aria-label={`The result as ${format.name}`}>{format.text}</pre> : null}
            </div>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
