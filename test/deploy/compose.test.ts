// The deployment files cannot be built or started here (no Docker engine on the build machines),
// so this test checks what can be checked without one: Compose validates and expands the compose
// file, and every Dockerfile is read the way Docker would read it and held against the repository:
// what it copies exists and is not ignored, what it runs exists, what it starts is built and
// carried into the image together with what it imports.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import t from 'tap';
import ts from 'typescript';
import { parse as parseYaml } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const composeFile = join(root, 'docker-compose.yml');

/** The application services, their ports and the prefix of their own proxy variables. */
const SERVICES = {
  gateway: { port: 1024, proxyPrefix: 'GATEWAY_' },
  session: { port: 8766, proxyPrefix: 'SESSION_' },
  'llm-text': { port: 8767, proxyPrefix: 'LLM_TEXT_' },
  'realtime-relay': { port: 8765, proxyPrefix: 'RELAY_' },
} as const;
type ServiceName = keyof typeof SERVICES;
const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];
const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'] as const;

// ---------------------------------------------------------------------------------------------
// Small readers

type Json = Record<string, unknown>;

function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, 'utf8')) as Json;
}

function asRecord(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

/** Repository-relative posix path of an absolute path. */
function repoPath(absolute: string): string {
  return toPosix(relative(root, absolute));
}

const rootManifest = readJson(join(root, 'package.json'));
const workspaceDirs = (rootManifest.workspaces as string[]).map((w) => posix.normalize(w));

interface Workspace {
  dir: string;
  manifest: Json;
}

const workspaces: Workspace[] = workspaceDirs
  .filter((dir) => existsSync(join(root, dir, 'package.json')))
  .map((dir) => ({ dir, manifest: readJson(join(root, dir, 'package.json')) }));

/** A workspace named by its folder or its package name, as `npm -w` accepts either. */
function findWorkspace(nameOrDir: string): Workspace | undefined {
  const dir = posix.normalize(nameOrDir.replace(/^\.\//, '').replace(/\/$/, ''));
  return workspaces.find((w) => w.dir === dir || w.manifest.name === nameOrDir);
}

function depsOf(manifest: Json, fields: readonly string[]): Record<string, string> {
  return Object.assign({}, ...fields.map((f) => asRecord(manifest[f]))) as Record<string, string>;
}

/** A workspace and the workspaces it depends on at run time, transitively. */
function runtimeWorkspaceClosure(start: Workspace): Workspace[] {
  const seen = new Map<string, Workspace>();
  const visit = (w: Workspace) => {
    if (seen.has(w.dir)) return;
    seen.set(w.dir, w);
    for (const name of Object.keys(depsOf(w.manifest, ['dependencies', 'optionalDependencies']))) {
      const dep = workspaces.find((x) => x.manifest.name === name);
      if (dep) visit(dep);
    }
  };
  visit(start);
  return [...seen.values()];
}

interface TsProject {
  dir: string;
  outDir: string | undefined;
  rootDir: string | undefined;
  references: string[];
}

const tsProjects = new Map<string, TsProject | undefined>();

/** A TypeScript project as the compiler reads it (comments, `extends` and all). */
function tsProject(dir: string): TsProject | undefined {
  if (tsProjects.has(dir)) return tsProjects.get(dir);
  const configPath = join(root, dir, 'tsconfig.json');
  let project: TsProject | undefined;
  if (existsSync(configPath)) {
    const host: ts.ParseConfigFileHost = {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => {},
    };
    const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, host);
    if (parsed) {
      project = {
        dir,
        outDir: parsed.options.outDir === undefined ? undefined : repoPath(parsed.options.outDir),
        rootDir: parsed.options.rootDir === undefined ? undefined : repoPath(parsed.options.rootDir),
        references: (parsed.projectReferences ?? []).map((r) => {
          const target = repoPath(r.path);
          return target.endsWith('.json') ? posix.dirname(target) : target;
        }),
      };
    }
  }
  tsProjects.set(dir, project);
  return project;
}

/** Every project that `tsc -b dir` builds: the project and its references, transitively. */
function tscBuildClosure(dir: string): Set<string> {
  const out = new Set<string>();
  const visit = (d: string) => {
    const normal = posix.normalize(d);
    if (out.has(normal)) return;
    out.add(normal);
    for (const ref of tsProject(normal)?.references ?? []) visit(ref);
  };
  visit(dir);
  return out;
}

// ---------------------------------------------------------------------------------------------
// .dockerignore, with Docker's meaning: patterns from the context root, `**` for any depth, a
// pattern matching a folder excludes what is in it, `!` re-includes, and the last match wins.

function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i);
      if (end === -1) out += '\\[';
      else {
        out += pattern.slice(i, end + 1).replace(/^\[!/, '[^');
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

const ignoreRules = (() => {
  const path = join(root, '.dockerignore');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = posix.normalize((negate ? line.slice(1) : line).trim().replace(/^\/+/, '')).replace(/\/$/, '');
      return { negate, re: globToRegExp(pattern) };
    });
})();

function dockerIgnored(path: string): boolean {
  const parts = posix.normalize(path).split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of ignoreRules) {
    if (prefixes.some((p) => rule.re.test(p))) ignored = !rule.negate;
  }
  return ignored;
}

/** Repository paths matching a COPY source (Docker's globs: `*`, `?`, `[...]` within a segment). */
function matchContext(source: string): string[] {
  const segments = posix.normalize(source.replace(/^\.?\/+/, '')).split('/').filter((s) => s !== '' && s !== '.');
  let found = [''];
  for (const segment of segments) {
    const next: string[] = [];
    for (const base of found) {
      const abs = join(root, base);
      if (!/[*?[]/.test(segment)) {
        if (existsSync(join(abs, segment))) next.push(posix.join(base, segment));
        continue;
      }
      if (!existsSync(abs) || !statSync(abs).isDirectory()) continue;
      const re = globToRegExp(segment);
      for (const entry of readdirSync(abs)) if (re.test(entry)) next.push(posix.join(base, entry));
    }
    found = next;
  }
  return segments.length === 0 ? ['.'] : found.filter((p) => !dockerIgnored(p));
}

// ---------------------------------------------------------------------------------------------
// Dockerfiles, read as Docker reads them: continuation lines joined, comments dropped, ARG and
// ENV values expanded where Docker expands them.

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  index: number;
  name: string | undefined;
  from: string;
  workdir: string;
  /** Instructions with ARG and ENV values expanded. */
  instructions: Instruction[];
}

interface Dockerfile {
  path: string;
  stages: Stage[];
}

function expand(text: string, vars: Map<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (all, braced, fallback, bare) => {
    const name = (braced ?? bare) as string;
    const value = vars.get(name);
    if (value !== undefined && value !== '') return value;
    return fallback ?? (vars.has(name) ? '' : all);
  });
}

/** `KEY=value KEY2="v 2"` (or the legacy `KEY value`) as pairs; a bare `KEY` has no value. */
function assignments(args: string): [string, string | undefined][] {
  const legacy = /^([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$/.exec(args);
  if (legacy && !args.split(/\s+/)[0]?.includes('=')) return [[legacy[1] as string, legacy[2] as string]];
  const pairs: [string, string | undefined][] = [];
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("([^"]*)"|'([^']*)'|\S*))?/g)) {
    pairs.push([m[1] as string, m[2] === undefined ? undefined : (m[3] ?? m[4] ?? m[2])]);
  }
  return pairs;
}

function parseDockerfile(path: string): Dockerfile {
  const lines = readFileSync(join(root, path), 'utf8').split('\n');
  const logical: Instruction[] = [];
  let current: { text: string; line: number } | undefined;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    // Docker drops comment and empty lines, even inside a continued instruction.
    if (trimmed.startsWith('#') || trimmed === '') return;
    const continued = trimmed.endsWith('\\');
    const piece = continued ? trimmed.slice(0, -1) : trimmed;
    current = current ? { text: `${current.text} ${piece}`, line: current.line } : { text: piece, line: i + 1 };
    if (!continued) {
      const m = /^(\S+)\s*(.*)$/.exec(current.text.trim());
      if (m) logical.push({ keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: current.line });
      current = undefined;
    }
  });

  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  let vars = new Map<string, string>();
  let stage: Stage | undefined;
  for (const ins of logical) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(expand(ins.args, globalArgs));
      const from = m?.[1] ?? ins.args;
      const parent = stages.find((s) => s.name === from);
      stage = { index: stages.length, name: m?.[2], from, workdir: parent?.workdir ?? '/', instructions: [] };
      stages.push(stage);
      vars = new Map();
      continue;
    }
    if (!stage) {
      if (ins.keyword === 'ARG') {
        for (const [k, v] of assignments(ins.args)) globalArgs.set(k, v ?? '');
      }
      continue;
    }
    if (ins.keyword === 'ARG') {
      // An ARG without a value takes the default declared before the first FROM.
      for (const [k, v] of assignments(ins.args)) vars.set(k, v === undefined ? (globalArgs.get(k) ?? '') : expand(v, vars));
    } else if (ins.keyword === 'ENV') {
      for (const [k, v] of assignments(ins.args)) vars.set(k, expand(v ?? '', vars));
    }
    // RUN, CMD and HEALTHCHECK are expanded too: their shell (or the service) would see the same values.
    const args = expand(ins.args, vars);
    if (ins.keyword === 'WORKDIR') stage.workdir = posix.resolve(stage.workdir, args);
    stage.instructions.push({ ...ins, args });
  }
  return { path, stages };
}

/** A COPY's flags, sources and destination (shell or JSON form). */
function copyParts(args: string): { flags: Map<string, string>; sources: string[]; dest: string } {
  const flags = new Map<string, string>();
  let rest = args;
  for (let m = /^--([a-z-]+)(?:=(\S+))?\s+/.exec(rest); m; m = /^--([a-z-]+)(?:=(\S+))?\s+/.exec(rest)) {
    flags.set(m[1] as string, m[2] ?? 'true');
    rest = rest.slice(m[0].length);
  }
  const words = rest.trim().startsWith('[') ? (JSON.parse(rest) as string[]) : rest.trim().split(/\s+/);
  return { flags, sources: words.slice(0, -1), dest: words[words.length - 1] ?? '' };
}

function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((x) => typeof x === 'string') ? (parsed as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** The simple commands of a RUN line, each as its words. */
function commands(run: string): string[][] {
  return run
    .split(/&&|\|\||;/)
    .map((c) => c.trim().split(/\s+/).filter((w) => w !== ''))
    .filter((c) => c.length > 0);
}

/** Value of `-w x`, `--workspace x` or `--workspace=x` (every one given). */
function workspaceFlags(words: string[]): string[] {
  const out: string[] = [];
  words.forEach((w, i) => {
    if (w === '-w' || w === '--workspace') out.push(words[i + 1] ?? '');
    else if (w.startsWith('--workspace=')) out.push(w.slice('--workspace='.length));
  });
  return out;
}

/** The first word that is not a flag or a flag's value. */
function firstOperand(words: string[]): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '-w' || w === '--workspace') i++;
    else if (!w.startsWith('-')) return w;
  }
  return undefined;
}

/** The simple commands of every RUN in a stage. */
function stageCommands(stage: Stage): string[][] {
  return stage.instructions.filter((i) => i.keyword === 'RUN').flatMap((i) => commands(i.args));
}

/** Whether the stage builds the TypeScript project `dir` with `tsc -b`, itself or as a reference. */
function tscBuilds(stage: Stage, dir: string): boolean {
  return stageCommands(stage).some((words) => {
    const at = words.indexOf('tsc');
    if (at === -1 || !['-b', '--build'].includes(words[at + 1] ?? '')) return false;
    return words
      .slice(at + 2)
      .filter((a) => !a.startsWith('-'))
      .some((target) => tscBuildClosure(target).has(dir));
  });
}

/** Whether the stage runs the `build` script of the workspace in `dir`. */
function scriptBuilds(stage: Stage, dir: string): boolean {
  return stageCommands(stage).some(
    (words) =>
      words[0] === 'npm' &&
      words[1] === 'run' &&
      firstOperand(words.slice(2)) === 'build' &&
      workspaceFlags(words).some((w) => findWorkspace(w)?.dir === dir),
  );
}

/** Whether the stage installs dependencies; with `production`, without dev dependencies, for `dir`. */
function installsDeps(stage: Stage, production?: { dir: string }): boolean {
  return stageCommands(stage).some((words) => {
    if (words[0] !== 'npm' || !['ci', 'install', 'prune'].includes(words[1] ?? '')) return false;
    if (!production) return true;
    const omitsDev = words.some((w) => w === '--omit=dev' || w === '--production') || words.join(' ').includes('--omit dev');
    const targets = workspaceFlags(words);
    return omitsDev && (targets.length === 0 || targets.some((x) => findWorkspace(x)?.dir === production.dir));
  });
}

/** Packages declared anywhere in the workspace whose `bin` provides `name`. */
function binProviders(name: string): string[] {
  const declared = new Set<string>();
  for (const m of [rootManifest, ...workspaces.map((w) => w.manifest)]) {
    for (const dep of Object.keys(depsOf(m, ['dependencies', 'devDependencies', 'optionalDependencies']))) declared.add(dep);
  }
  return [...declared].filter((dep) => {
    const path = join(root, 'node_modules', dep, 'package.json');
    if (!existsSync(path)) return false;
    const manifest = readJson(path);
    const bin = manifest.bin;
    if (typeof bin === 'string') return (manifest.name as string).split('/').pop() === name;
    return Object.hasOwn(asRecord(bin), name);
  });
}

/** Bare module specifiers a workspace's sources import at run time (`import type` excluded). */
function runtimeImports(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const srcRoot = tsProject(dir)?.rootDir ?? posix.join(dir, 'src');
  const walk = (rel: string) => {
    const abs = join(root, rel);
    if (!existsSync(abs)) return;
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const child = posix.join(rel, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'test' && entry.name !== '__tests__') walk(child);
      } else if (/\.(?:ts|mts|tsx)$/.test(entry.name) && !/\.(?:test|spec)\.|\.d\.ts$/.test(entry.name)) {
        const code = readFileSync(join(root, child), 'utf8')
          .split('\n')
          .filter((l) => !/^\s*(?:\/\/|\*|\/\*)/.test(l))
          .join('\n');
        const statics = /(?:^|[\n;])\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\bfrom\s*)?['"]([^'"]+)['"]/g;
        for (const m of code.matchAll(statics)) if (!m[1]) found.set(m[2] as string, child);
        for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.set(m[1] as string, child);
      }
    }
  };
  walk(srcRoot);
  const bare = new Map<string, string>();
  for (const [spec, file] of found) {
    if (/^[./#]/.test(spec) || spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0] as string)) continue;
    const parts = spec.split('/');
    bare.set(spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string), file);
  }
  return bare;
}

// ---------------------------------------------------------------------------------------------
// Compose

function composeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // Only what the tool itself needs: the variables the file interpolates come from `extra`, so
  // neither this machine's environment nor a developer's .env decides the outcome.
  const env: NodeJS.ProcessEnv = { ...extra };
  for (const key of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

const emptyEnvDir = mkdtempSync(join(tmpdir(), 'voxgate-compose-'));
const emptyEnvFile = join(emptyEnvDir, 'empty.env');
writeFileSync(emptyEnvFile, '');
t.teardown(() => rmSync(emptyEnvDir, { recursive: true, force: true }));

function dockerCompose(args: string[], extraEnv: Record<string, string> = {}) {
  return spawnSync('docker-compose', ['--env-file', emptyEnvFile, '-f', composeFile, ...args], {
    cwd: root,
    env: composeEnv(extraEnv),
    encoding: 'utf8',
  });
}

const composeAvailable = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
const composeVersion = composeAvailable.status === 0 ? composeAvailable.stdout.trim().replace(/^v/, '') : undefined;
const MISSING_COMPOSE = 'docker-compose is not installed (Debian/Ubuntu: apt-get install -y docker-compose)';

function expandedCompose(extraEnv: Record<string, string> = {}): Json {
  const result = dockerCompose(['--profile', 'simulator', 'config'], extraEnv);
  if (result.status !== 0) throw new Error(`docker-compose config failed: ${result.stderr}`);
  return asRecord(parseYaml(result.stdout));
}

function environmentOf(service: Json): Record<string, string> {
  const env = service.environment;
  if (Array.isArray(env)) {
    return Object.fromEntries(
      (env as string[]).map((line) => {
        const at = line.indexOf('=');
        return at === -1 ? [line, ''] : [line.slice(0, at), line.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(asRecord(env)).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** Published ports as { host, container }, from either the short or the long syntax. */
function publishedPorts(service: Json): { host: string | undefined; container: string }[] {
  const ports = Array.isArray(service.ports) ? (service.ports as unknown[]) : [];
  return ports.map((p) => {
    if (typeof p === 'object' && p !== null) {
      const r = p as Json;
      return { host: r.published === undefined ? undefined : String(r.published), container: String(r.target) };
    }
    const parts = String(p).replace(/\/(tcp|udp)$/, '').split(':');
    const container = parts.pop() as string;
    return { host: parts.length > 0 ? parts.pop() : undefined, container };
  });
}

t.test('docker-compose.yml', async (t) => {
  if (composeVersion === undefined) {
    t.fail(MISSING_COMPOSE);
    return;
  }

  t.test('docker-compose config -q accepts it', async (t) => {
    const result = dockerCompose(['config', '-q']);
    t.equal(result.status, 0, result.stderr);
    const withProfile = dockerCompose(['--profile', 'simulator', 'config', '-q']);
    t.equal(withProfile.status, 0, `with the simulator profile: ${withProfile.stderr}`);
  });

  const config = expandedCompose();
  const services = asRecord(config.services);

  t.test('every service has a health check and a restart policy', async (t) => {
    t.ok(services.nats, 'nats is a service');
    for (const [name, value] of Object.entries(services)) {
      const service = asRecord(value);
      const health = asRecord(service.healthcheck);
      const test = health.test;
      t.ok(Array.isArray(test) ? test.length > 1 && test[0] !== 'NONE' : typeof test === 'string' && test !== '', `${name} has a health check`);
      t.notOk(health.disable, `${name}'s health check is not disabled`);
      t.ok(typeof service.restart === 'string' && service.restart !== 'no', `${name} restarts (${String(service.restart)})`);
    }
  });

  t.test('nats keeps JetStream on a named volume', async (t) => {
    const nats = asRecord(services.nats);
    const command = Array.isArray(nats.command) ? (nats.command as string[]).join(' ') : String(nats.command ?? '');
    t.match(command, /(^|\s)(-js|--jetstream)(\s|$)/, 'JetStream is on');
    const store = /(?:-sd|--store_dir)[\s=](\S+)/.exec(command)?.[1];
    t.ok(store, 'JetStream has a store directory');
    const volumes = (Array.isArray(nats.volumes) ? nats.volumes : []) as unknown[];
    const named = volumes.some((v) => {
      const entry = typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1], type: 'volume' } : asRecord(v);
      return entry.target === store && Object.hasOwn(asRecord(config.volumes), String(entry.source));
    });
    t.ok(named, `${String(store)} is a named volume`);
  });

  for (const name of SERVICE_NAMES) {
    t.test(`${name} service`, async (t) => {
      const service = asRecord(services[name]);
      t.ok(services[name], `${name} is defined`);
      const build = asRecord(service.build);
      t.equal(resolve(root, String(build.context)), resolve(root), 'builds from the repository root');
      t.equal(build.dockerfile, `services/${name}/Dockerfile`, 'with its own Dockerfile');
      const env = environmentOf(service);
      t.equal(env.HOST, '0.0.0.0', 'listens beyond its own loopback');
      t.equal(env.NATS_URL, 'nats://nats:4222', 'finds NATS by its service name');
      t.equal(env.PORT, String(SERVICES[name].port), `listens on ${SERVICES[name].port}`);
      t.equal(asRecord(asRecord(service.depends_on).nats).condition, 'service_healthy', 'waits for a healthy NATS');
      t.match(JSON.stringify(asRecord(service.healthcheck).test), /\/readyz/, 'is healthy when /readyz says ready');
      const hosts = (Array.isArray(service.extra_hosts) ? service.extra_hosts : Object.entries(asRecord(service.extra_hosts)).map(([k, v]) => `${k}:${String(v)}`)) as string[];
      t.ok(hosts.some((h) => /^host\.docker\.internal[:=]host-gateway$/.test(h)), 'reaches a proxy on the host as host.docker.internal');
    });
  }

  t.test('gateway publishes 1024 and starts after the other services', async (t) => {
    const gateway = asRecord(services.gateway);
    t.ok(publishedPorts(gateway).some((p) => p.host === '1024' && p.container === '1024'), 'host port 1024 to container port 1024');
    const dependsOn = asRecord(gateway.depends_on);
    for (const other of SERVICE_NAMES.filter((n) => n !== 'gateway')) {
      t.equal(asRecord(dependsOn[other]).condition, 'service_healthy', `waits for a healthy ${other}`);
    }
    for (const other of SERVICE_NAMES.filter((n) => n !== 'gateway')) {
      t.same(publishedPorts(asRecord(services[other])).filter((p) => p.host !== undefined), [], `${other} publishes no host port`);
    }
  });

  t.test('realtime-relay can be scaled', async (t) => {
    const relay = asRecord(services['realtime-relay']);
    t.equal(relay.container_name, undefined, 'no fixed container name');
    t.same(publishedPorts(relay), [], 'no host port');
    t.notOk(environmentOf(relay).RELAY_ADVERTISE_HOST, 'no advertised address shared by every replica');
  });

  t.test("each service's proxy settings default to the global ones", async (t) => {
    // Read from the file itself: the nested default is what Compose v2 expands, and Debian's
    // docker-compose 1.x cannot expand nesting (it validates the file all the same).
    const raw = asRecord(parseYaml(readFileSync(composeFile, 'utf8'), { merge: true }));
    for (const name of SERVICE_NAMES) {
      const env = environmentOf(asRecord(asRecord(raw.services)[name]));
      for (const variable of PROXY_VARS) {
        const own = `${SERVICES[name].proxyPrefix}${variable}`;
        const pattern = new RegExp(`^\\$\\{${own}:-\\$\\{${variable}:-[^}]*\\}\\}$`);
        t.match(env[variable] ?? '', pattern, `${name}: ${variable} is ${own}, else the global ${variable}`);
      }
    }

    if (Number.parseInt(composeVersion, 10) < 2) {
      t.comment(`docker-compose ${composeVersion} cannot expand nested defaults; checked the file's text only`);
      return;
    }
    const global = 'http://global-proxy.invalid:3128';
    const own = 'http://relay-proxy.invalid:3128';
    const expanded = asRecord(expandedCompose({ HTTPS_PROXY: global, HTTP_PROXY: global, RELAY_HTTPS_PROXY: own }).services);
    for (const name of SERVICE_NAMES) {
      const env = environmentOf(asRecord(expanded[name]));
      t.equal(env.HTTPS_PROXY, name === 'realtime-relay' ? own : global, `${name} HTTPS_PROXY as expanded`);
      t.equal(env.HTTP_PROXY, global, `${name} HTTP_PROXY as expanded`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Dockerfiles

const dockerfilePaths = ['services', 'tools']
  .flatMap((group) =>
    existsSync(join(root, group)) ? readdirSync(join(root, group)).map((d) => `${group}/${d}/Dockerfile`) : [],
  )
  .filter((p) => existsSync(join(root, p)));

t.test('every service has a Dockerfile', async (t) => {
  for (const name of SERVICE_NAMES) t.ok(dockerfilePaths.includes(`services/${name}/Dockerfile`), `services/${name}/Dockerfile`);
});

for (const path of dockerfilePaths) {
  t.test(path, async (t) => {
    const file = parseDockerfile(path);
    const final = file.stages[file.stages.length - 1];
    if (!final) {
      t.fail('has no FROM');
      return;
    }
    const stageByRef = (ref: string) => file.stages.find((s) => s.name === ref || String(s.index) === ref);
    const baseImage = (s: Stage): string => {
      const parent = stageByRef(s.from);
      return parent && parent !== s ? baseImage(parent) : s.from;
    };

    t.test('runs on node:24-slim', async (t) => {
      for (const s of file.stages) t.equal(baseImage(s), 'node:24-slim', `stage ${s.name ?? s.index}`);
    });

    t.test('every path it copies from the build context exists and is not ignored', async (t) => {
      for (const s of file.stages) {
        for (const ins of s.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
          const { flags, sources } = copyParts(ins.args);
          if (flags.has('from')) {
            t.ok(stageByRef(flags.get('from') as string) ?? /[:/]/.test(flags.get('from') as string), `line ${ins.line}: --from=${flags.get('from')} is a stage`);
            continue;
          }
          t.ok(sources.length > 0, `line ${ins.line}: COPY names a source`);
          for (const source of sources) {
            t.notMatch(source, /\$/, `line ${ins.line}: ${source} has no unexpanded variable`);
            t.ok(matchContext(source).length > 0, `line ${ins.line}: ${source} is in the build context`);
          }
        }
      }
    });

    t.test('every workspace manifest reaches npm ci', async (t) => {
      // `npm ci` refuses a lock whose workspaces it cannot find, so each image copies all of them.
      const copied = new Set(
        file.stages.flatMap((s) =>
          s.instructions
            .filter((i) => i.keyword === 'COPY' && !copyParts(i.args).flags.has('from'))
            .flatMap((i) => copyParts(i.args).sources.map((src) => posix.normalize(src.replace(/^\.\//, '')))),
        ),
      );
      for (const file of ['package.json', 'package-lock.json', ...workspaceDirs.map((d) => `${d}/package.json`)]) {
        t.ok(copied.has(file), `${file} is copied`);
      }
    });

    t.test('every command it runs exists', async (t) => {
      for (const s of file.stages) {
        for (const ins of s.instructions.filter((i) => i.keyword === 'RUN')) {
          for (const words of commands(ins.args)) {
            const [tool, sub, ...rest] = words;
            const where = `line ${ins.line}: ${words.join(' ')}`;
            if (tool === 'npm' && (sub === 'run' || sub === 'run-script')) {
              const script = firstOperand(rest);
              const targets = workspaceFlags(rest);
              for (const target of targets.length > 0 ? targets : [undefined]) {
                const manifest = target === undefined ? rootManifest : findWorkspace(target)?.manifest;
                t.ok(manifest, `${where}: workspace ${String(target)} exists`);
                t.ok(script && Object.hasOwn(asRecord(manifest?.scripts), script), `${where}: script "${String(script)}" exists`);
              }
            } else if (tool === 'npm' && (sub === 'ci' || sub === 'install' || sub === 'prune')) {
              for (const target of workspaceFlags(rest)) t.ok(findWorkspace(target), `${where}: workspace ${target} exists`);
            } else if (tool === 'npx' || (tool === 'npm' && sub === 'exec')) {
              const bin = firstOperand(tool === 'npx' ? [sub ?? '', ...rest] : rest) as string;
              t.ok(binProviders(bin).length > 0, `${where}: "${bin}" is the bin of a declared dependency`);
              if (bin === 'tsc') {
                const args = tool === 'npx' ? rest : rest.slice(1);
                const built = args.filter((a) => !a.startsWith('-'));
                for (const dir of built) t.ok(tsProject(posix.normalize(dir)), `${where}: ${dir} is a TypeScript project`);
              }
            }
          }
        }
      }
    });

    t.test('every path it copies from another stage is made there', async (t) => {
      for (const s of file.stages) {
        for (const ins of s.instructions.filter((i) => i.keyword === 'COPY')) {
          const { flags, sources } = copyParts(ins.args);
          const from = flags.has('from') ? stageByRef(flags.get('from') as string) : undefined;
          if (!from) continue;
          for (const src of sources) {
            const path = posix.relative(from.workdir, posix.resolve(from.workdir, src));
            const where = `line ${ins.line}: ${src} from stage ${from.name ?? from.index}`;
            if (path === '' || path === 'node_modules') {
              t.ok(installsDeps(from), `${where}: the stage installs dependencies`);
              continue;
            }
            const dist = /^(.*)\/dist$/.exec(path)?.[1];
            const w = dist === undefined ? undefined : findWorkspace(dist);
            t.ok(w, `${where}: is a workspace's dist/`);
            if (!w) continue;
            const byTsc = tsProject(w.dir)?.outDir === path && tscBuilds(from, w.dir);
            t.ok(byTsc || scriptBuilds(from, w.dir), `${where}: built there by tsc -b or its build script`);
          }
        }
      }
    });

    t.test('it runs as a non-root user in production mode, with a health check', async (t) => {
      const last = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword).pop();
      const user = last('USER')?.args;
      t.ok(user && user !== 'root' && user !== '0' && !user.startsWith('0:') && !user.startsWith('root:'), `USER ${String(user)}`);
      const env = new Map(final.instructions.filter((i) => i.keyword === 'ENV').flatMap((i) => assignments(i.args)));
      t.equal(env.get('NODE_ENV'), 'production', 'NODE_ENV=production');
      t.ok(last('EXPOSE'), 'EXPOSEs its port');
      const health = last('HEALTHCHECK')?.args ?? '';
      t.match(health, /\bCMD\b/, 'has a HEALTHCHECK');
      if (path.startsWith('services/')) t.match(health, /\/readyz/, 'healthy when /readyz says ready');
    });

    t.test('what CMD starts is built, carried into the image, and finds what it imports', async (t) => {
      const cmd = final.instructions.filter((i) => i.keyword === 'CMD').pop();
      const argv = cmd ? execForm(cmd.args) : undefined;
      t.ok(argv, 'CMD is in exec form, so the service receives SIGTERM itself');
      if (!argv) return;
      t.equal(argv[0], 'node', 'starts node');
      const script = argv.slice(1).find((a) => !a.startsWith('-'));
      if (!script) {
        t.fail('CMD names no script');
        return;
      }
      // The images keep the repository's layout under their WORKDIR.
      const scriptPath = posix.relative(final.workdir, posix.resolve(final.workdir, script));
      const workspace = workspaces
        .filter((w) => scriptPath.startsWith(`${w.dir}/`))
        .sort((a, b) => b.dir.length - a.dir.length)[0];
      if (!workspace) {
        t.fail(`${scriptPath} is not in a workspace`);
        return;
      }
      const project = tsProject(workspace.dir);
      t.equal(project?.outDir, `${workspace.dir}/dist`, `${workspace.dir} compiles into dist/`);
      if (!project?.outDir) return;
      const fromOut = posix.relative(project.outDir, scriptPath);
      t.notOk(fromOut.startsWith('..'), `${scriptPath} is compiler output`);
      const source = posix.join(project.rootDir ?? workspace.dir, fromOut).replace(/\.(m?)js$/, '.$1ts');
      t.ok(existsSync(join(root, source)), `${source} exists`);

      // What the image carries: the workspace's dist and that of every workspace it depends on,
      // each built by a `tsc -b` in the stage it is copied from.
      const copiesFrom = final.instructions
        .filter((i) => i.keyword === 'COPY' && copyParts(i.args).flags.has('from'))
        .flatMap((i) => {
          const { flags, sources } = copyParts(i.args);
          const from = stageByRef(flags.get('from') as string);
          return from ? sources.map((src) => ({ from, path: posix.relative(from.workdir, posix.resolve(from.workdir, src)) })) : [];
        });
      // A later COPY lays its files over an earlier one's, so the last that covers a path is what the image holds.
      const carried = (path: string) =>
        copiesFrom.findLast((c) => c.path === '' || path === c.path || path.startsWith(`${c.path}/`));

      for (const w of runtimeWorkspaceClosure(workspace)) {
        const out = tsProject(w.dir)?.outDir;
        if (out === undefined) continue;
        const copy = carried(out);
        t.ok(copy, `${out} is copied into the image`);
        if (copy) t.ok(tscBuilds(copy.from, w.dir), `${out} comes from stage ${copy.from.name ?? copy.from.index}, which builds it with tsc -b`);
      }

      // Production dependencies: installed for this workspace without dev dependencies in a stage
      // whose folder the image copies, so node_modules holds exactly what the service can import.
      const installs = copiesFrom.filter(
        (c) => (c.path === '' || c.path === 'node_modules') && installsDeps(c.from, { dir: workspace.dir }),
      );
      t.ok(installs.length > 0, `the image's node_modules comes from a production install for ${workspace.dir}`);

      for (const w of runtimeWorkspaceClosure(workspace)) {
        const declared = depsOf(w.manifest, ['dependencies', 'optionalDependencies', 'peerDependencies']);
        for (const [pkg, file] of runtimeImports(w.dir)) {
          if (pkg === w.manifest.name) continue;
          t.ok(Object.hasOwn(declared, pkg), `${file} imports ${pkg}, a production dependency of ${w.dir}`);
        }
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Health checks: run each distinct probe against a real server that is ready, then not.

function probes(): { where: string; code: string }[] {
  const found: { where: string; code: string }[] = [];
  const fromArgv = (where: string, argv: string[] | undefined) => {
    if (!argv) return;
    const words = argv[0] === 'CMD' ? argv.slice(1) : argv;
    const at = words.findIndex((w) => w === '-e' || w === '--eval');
    if (words[0] === 'node' && at !== -1 && words[at + 1]) found.push({ where, code: words[at + 1] as string });
  };
  for (const path of dockerfilePaths) {
    const final = parseDockerfile(path).stages.pop();
    const health = final?.instructions.filter((i) => i.keyword === 'HEALTHCHECK').pop();
    const cmd = health ? /\bCMD\s+(.*)$/.exec(health.args)?.[1] : undefined;
    fromArgv(path, cmd ? execForm(cmd) : undefined);
  }
  const raw = asRecord(parseYaml(readFileSync(composeFile, 'utf8'), { merge: true }));
  for (const [name, service] of Object.entries(asRecord(raw.services))) {
    const test = asRecord(asRecord(service).healthcheck).test;
    if (Array.isArray(test)) fromArgv(`docker-compose.yml ${name}`, test as string[]);
  }
  return found;
}

function runProbe(code: string, port: number, env: Record<string, string> = {}): Promise<number | null> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['-e', code], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port), ...env },
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', (status) => {
      clearTimeout(timer);
      done(status);
    });
  });
}

/** A stand-in service whose /readyz and /healthz answer 200 or 503 as the test says. */
async function standIn(tls?: { key: Buffer; cert: Buffer }) {
  const state = { ready: true };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    res.statusCode = (req.url === '/readyz' || req.url === '/healthz') && state.ready ? 200 : 503;
    res.end();
  };
  const server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return {
    state,
    port: typeof address === 'object' && address ? address.port : 0,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A certificate made for another name, as the gateway's would be; undefined without openssl. */
function selfSignedCertificate(dir: string): { key: Buffer; cert: Buffer; keyFile: string; certFile: string } | undefined {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const made = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=voxgate.invalid', '-days', '1', '-keyout', keyFile, '-out', certFile],
    { stdio: 'ignore' },
  );
  if (made.status !== 0) return undefined;
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), keyFile, certFile };
}

t.test('health checks tell ready from not ready', async (t) => {
  const plain = await standIn();
  t.teardown(plain.close);
  const all = probes();
  t.ok(all.length > 0, 'found the probes');
  const seen = new Set<string>();
  for (const { where, code } of all) {
    t.doesNotThrow(() => new Script(code), `${where}: the probe is valid JavaScript`);
    if (seen.has(code)) continue;
    seen.add(code);
    plain.state.ready = true;
    t.equal(await runProbe(code, plain.port), 0, `${where}: healthy while the service answers 200`);
    plain.state.ready = false;
    t.equal(await runProbe(code, plain.port), 1, `${where}: unhealthy while it answers 503`);
  }

  // A port nobody listens on: every probe reports unhealthy rather than hanging or passing.
  const gone = await standIn();
  await gone.close();
  for (const code of seen) t.equal(await runProbe(code, gone.port), 1, 'unhealthy when nothing listens');

  // The gateway serves HTTPS when given a certificate; its probe must follow.
  const tlsProbes = [...seen].filter((code) => code.includes('TLS_CERT_FILE'));
  const certDir = mkdtempSync(join(tmpdir(), 'voxgate-cert-'));
  t.teardown(() => rmSync(certDir, { recursive: true, force: true }));
  const certificate = tlsProbes.length > 0 ? selfSignedCertificate(certDir) : undefined;
  if (!certificate) {
    t.comment('no probe reads TLS_CERT_FILE, or openssl is missing: HTTPS probe not exercised');
    return;
  }
  const secure = await standIn(certificate);
  t.teardown(secure.close);
  const tlsEnv = { TLS_CERT_FILE: certificate.certFile, TLS_KEY_FILE: certificate.keyFile };
  for (const code of tlsProbes) {
    secure.state.ready = true;
    t.equal(await runProbe(code, secure.port, tlsEnv), 0, 'healthy over HTTPS while the gateway answers 200');
    secure.state.ready = false;
    t.equal(await runProbe(code, secure.port, tlsEnv), 1, 'unhealthy over HTTPS while it answers 503');
  }
});

// ---------------------------------------------------------------------------------------------

t.test('.dockerignore keeps installed, built and private files out of the build context', async (t) => {
  t.ok(existsSync(join(root, '.dockerignore')), '.dockerignore exists');
  for (const path of ['node_modules', 'node_modules/fastify/package.json', 'packages/service-kit/node_modules', 'services/gateway/node_modules']) {
    t.ok(dockerIgnored(path), `${path} is excluded`);
  }
  for (const path of ['.git', 'services/gateway/dist', 'web/dist', '.env']) t.ok(dockerIgnored(path), `${path} is excluded`);
  for (const path of ['package.json', 'package-lock.json', 'packages', 'services/gateway/src', 'web']) {
    t.notOk(dockerIgnored(path), `${path} is kept`);
  }
});
