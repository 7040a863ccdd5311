/**
 * bench:http's server processes: which scenario runs on which kind of server (servers.ts), with
 * what environment, pinned to the server CPU, profiled when BENCH_HTTP_PROFILE names it, and its
 * GC traced to a file when BENCH_HTTP_TRACE_GC does.
 */
import path from 'node:path';
import type { BenchDatabase } from './bench-postgres';
import { type Key, settings } from './http-common';
import { FLOOR_KEY } from './http-scenarios';
import { SERVER_CPU } from './pinning';
import { type Mode, type Server, startServer } from './servers';

export interface StartSettings {
  redisEnv: Record<string, string>;
  /** Where the CPU profile and the GC trace go (when asked for). */
  profileDir: string | undefined;
  database?: BenchDatabase | undefined;
  pin: boolean;
  /** The es256 service's JWT_SIGNING_KEYS_FILE. */
  keyFile: string;
}

/** The file BENCH_HTTP_TRACE_GC's server writes its GC trace to. */
export const traceFile = (dir: string) => path.join(dir, `${settings.traceGc?.flag}-${settings.traceGc?.key}.log`);

/**
 * Starts a server for each scenario this run measures: the cached service first and alone, so its
 * start-up time is not shared with the others', then the rest at once. Each joins `servers` as soon
 * as it is up, so the caller stops it even when another one fails to start.
 */
export async function startServers(
  opts: StartSettings,
  servers: Server[],
): Promise<{ byKey: Partial<Record<Key, Server>>; profiledPid: number }> {
  let profiledPid = 0;
  const db = (key: Key): Record<string, string> =>
    opts.database ? { BENCH_PG_URL: opts.database.url, BENCH_PG_SCHEMA: opts.database.schemaFor(key) } : {};
  const service = (key: Key, extra: Record<string, string> = {}) => ({
    NODE_ENV: settings.nodeEnv,
    ...db(key),
    ...extra,
  });
  const start = async (key: Key, mode: Mode, env: Record<string, string>) => {
    if (!settings.only.has(key)) return undefined;
    const cpuProfDir = settings.profile === key ? opts.profileDir : undefined;
    const traced = settings.traceGc?.key === key && opts.profileDir ? traceFile(opts.profileDir) : undefined;
    const server = await startServer(
      mode,
      { ...opts.redisEnv, ...env, ...(traced ? { BENCH_TRACE_GC: settings.traceGc!.flag } : {}) },
      { cpuProfDir, cpu: opts.pin ? SERVER_CPU : undefined, stdoutFile: traced },
    );
    servers.push(server);
    if (cpuProfDir) profiledPid = server.pid;
    return server;
  };
  const cached = await start('cached', 'service', service('cached'));
  const [floor, es256, notModified, miss, list, sessions, peer, ideal] = await Promise.all([
    start('floor', 'floor', { BENCH_FLOOR_KEY: FLOOR_KEY }),
    start(
      'es256',
      'service',
      service('es256', { BENCH_CONFIG: JSON.stringify({ JWT_SIGNING_KEYS_FILE: opts.keyFile }) }),
    ),
    start('304', 'service', service('304')),
    start('miss', 'service', service('miss', { BENCH_NO_STORE: '1', BENCH_ITEMS: String(settings.missItems) })),
    start('list', 'service', service('list')),
    start('sessions', 'service', service('sessions', { BENCH_SESSIONS: String(settings.sessions) })),
    start('peer', 'peer', {}),
    start('ideal', 'ideal', {}),
  ]);
  return {
    byKey: { floor, cached, es256, '304': notModified, miss, list, sessions, peer, ideal },
    profiledPid,
  };
}
