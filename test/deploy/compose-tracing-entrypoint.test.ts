/**
 * How docker-compose.yml's api finds the `tracing` profile's collector. Its entrypoint, an `sh -c`
 * script, exports the collector's OTLP/HTTP endpoint when the name `otel-collector` resolves, as it
 * does on the Compose network while that container runs: so `docker compose --profile tracing up`
 * and `COMPOSE_PROFILES=tracing docker compose up` both turn tracing on, and a plain `up` leaves it
 * off. No Docker engine here: the script runs with this machine's sh, as Compose would hand it to
 * the container, with a stand-in for getent that knows the names of the services Compose starts
 * (Docker's DNS answers for running containers only), and a command that reports what it was given.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/core/config';
import { collectorConfig, otlpHttpPort } from './collector-config';
import { type Env, envOf, interpolateAll, loadCompose, type Service } from './compose-support';
import { finalCmd } from './dockerfile-support';

const services = loadCompose('docker-compose.yml').services ?? {};
const api = services.api ?? {};
const collector = services['otel-collector'] ?? {};

/**
 * The api as Compose hands it to Docker: every variable the file refers to set (the ${VAR:?} ones
 * must be) and COMPOSE_PROFILES as given; `--profile` is not among what Compose interpolates from.
 */
function apiAsComposed(composeProfiles: string | undefined): Service {
  const env = new Proxy({} as Record<string, string | undefined>, {
    get: (_, name) => (name === 'COMPOSE_PROFILES' ? composeProfiles : `value-of-${String(name)}`),
  });
  return interpolateAll(api, env);
}

/** The services Compose starts with these profiles active: those without `profiles`, and those in one of them. */
const startedWith = (profiles: string[]): string[] =>
  Object.entries(services)
    .filter(([, s]) => s.profiles === undefined || s.profiles.some((p) => profiles.includes(p)))
    .map(([name]) => name);

/** The two ways to name the profile (Compose's profiles documentation). */
const PROFILE_WAYS = [
  { way: 'docker compose --profile tracing up', composeProfiles: undefined },
  { way: 'COMPOSE_PROFILES=tracing docker compose up', composeProfiles: 'tracing' },
];

/** What the reporting command saw: its pid, its arguments and the OTEL_* variables. */
interface Report {
  pid: number;
  args: string[];
  otel: Env;
}
const REPORT = `console.log(JSON.stringify({ pid: process.pid, args: process.argv.slice(1),
  otel: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('OTEL_'))) }))`;
// Words a careless "$*" or unquoted $@ would split, join, expand or drop.
const ARGS = ['two words', '$HOME', '', '*'];

let bin: string;
beforeAll(() => {
  bin = mkdtempSync(path.join(os.tmpdir(), 'compose-entrypoint-'));
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));

/**
 * Starts the api's container as Docker would (its entrypoint, then its command), the command
 * replaced by one that reports, with `.env` under the file's `environment`, and `getent hosts NAME`
 * answering for the running services only (exit 2 otherwise: getent's "not found").
 */
function startContainer(service: Service, running: string[], dotEnv: Env = {}): { report: Report; shellPid: number } {
  const dir = mkdtempSync(path.join(bin, 'dns-'));
  const getent = path.join(dir, 'getent');
  writeFileSync(
    getent,
    `#!/bin/sh\n[ "$1" = hosts ] && [ $# -eq 2 ] || exit 1\ncase "$2" in\n  ${running.join('|')}) echo "192.0.2.7 $2"; exit 0 ;;\nesac\nexit 2\n`,
  );
  chmodSync(getent, 0o755);
  // Compose splits the string form into words as a shell would; the list form is taken as it is.
  if (typeof service.entrypoint === 'string') throw new Error('give the entrypoint in its list form');
  const entrypoint = service.entrypoint ?? [];
  const [file = '', ...args] = [...entrypoint, process.execPath, '-e', REPORT, ...ARGS];
  const env = { ...dotEnv, ...envOf(service), PATH: `${dir}:${process.env.PATH ?? ''}` };
  const run = spawnSync(file, args, { env, encoding: 'utf8' });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  return { report: JSON.parse(run.stdout) as Report, shellPid: run.pid };
}

describe('the api of docker-compose.yml and the tracing profile', () => {
  it('is composed the same whichever way the profile is named: Compose never shows it the --profile flag', () => {
    expect(apiAsComposed('tracing')).toEqual(apiAsComposed(undefined));
  });

  it("runs the Dockerfile's command after its entrypoint, which Compose would otherwise drop, under init", () => {
    expect(api.entrypoint).toBeDefined();
    expect(api.command).toEqual(finalCmd());
    // init is PID 1 and forwards SIGTERM; the entrypoint must exec so that node is the one it reaches.
    expect(api.init).toBe(true);
  });

  it.each(PROFILE_WAYS)('$way: exports to the running collector', ({ composeProfiles }) => {
    const running = startedWith(['tracing']);
    const { report } = startContainer(apiAsComposed(composeProfiles), running);
    const url = new URL(report.otel.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'missing:');
    // The collector's service name, and its receiver's port (the exporter appends /v1/traces).
    expect(running).toContain(url.hostname);
    expect(services[url.hostname]?.image).toBe(collector.image);
    expect({ protocol: url.protocol, port: Number(url.port), path: url.pathname }).toEqual({
      protocol: 'http:',
      port: otlpHttpPort(collectorConfig()),
      path: '/',
    });
    expect(loadConfig(report.otel).tracing).toMatchObject({ exporter: 'otlp', protocol: 'http/protobuf' });
  });

  it('docker compose up: no endpoint, so tracing is off and the SDK never loads', () => {
    const running = startedWith([]);
    expect(running).not.toContain('otel-collector');
    const { report } = startContainer(apiAsComposed(undefined), running);
    expect(report.otel.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').toBe('');
    expect(loadConfig(report.otel).tracing).toBeUndefined();
  });

  it('execs its command, with its arguments as given', () => {
    const { report, shellPid } = startContainer(apiAsComposed(undefined), startedWith(['tracing']));
    // The same process: sh replaced itself, so init's signals reach the command and nothing waits between.
    expect(report.pid).toBe(shellPid);
    expect(report.args).toEqual(ARGS);
  });

  it('is not turned on or redirected by endpoints in a .env written for `npm run dev`', () => {
    const devDotEnv = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://localhost:4318/v1/traces',
    };
    const off = startContainer(apiAsComposed(undefined), startedWith([]), devDotEnv).report.otel;
    expect(loadConfig(off).tracing).toBeUndefined();
    const on = startContainer(apiAsComposed(undefined), startedWith(['tracing']), devDotEnv).report.otel;
    expect(new URL(on.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'missing:').hostname).toBe('otel-collector');
    // Empty: the signal-specific endpoint would otherwise win over the collector's.
    expect(on.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe('');
  });
});
