/**
 * The mixed load of `npm run soak`: a pool of logged-in sessions, and actions drawn by weight from
 * what a real client does (cached reads, a list, merge-patch writes, refreshes, logout + login).
 * A session being refreshed or logged out takes no new reads until it is done, so every failure
 * counted is the service's, never a race of the driver's own making; and the driver acts on a
 * failure as a client would (a 401 logs in again, a 503 to a refresh is retried once), so that one
 * failure is counted once instead of failing every later request of its session. Keep-alive
 * node:http client.
 */
import http from 'node:http';

export type Kind = 'read' | 'list' | 'write' | 'refresh' | 'relogin';

/** Weights per action, as percentages. */
export const MIX: Record<Kind, number> = { read: 84, list: 4, write: 7, refresh: 3, relogin: 2 };

/** One action's result: which, how long from its scheduled start, and a failure description if any. */
export interface Outcome {
  kind: Kind;
  ms: number;
  failure?: string;
}

interface Session {
  access: string;
  refresh: string;
  /** Reads in flight with this session's access token. */
  reading: number;
  /** Being refreshed or replaced: no new reads. */
  busy: boolean;
}

interface Reply {
  status: number;
  body: string;
}

export class SoakLoad {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  private readonly sessions: Session[] = [];
  private readonly url: URL;
  private readonly picks: Kind[] = [];

  constructor(
    origin: string,
    private readonly itemIds: string[],
    private readonly credentials: { username: string; password: string },
  ) {
    this.url = new URL(origin);
    for (const [kind, weight] of Object.entries(MIX)) for (let i = 0; i < weight; i++) this.picks.push(kind as Kind);
  }

  /** Logs in `size` sessions. */
  async init(size: number): Promise<void> {
    for (let i = 0; i < size; i++) this.sessions.push(await this.login());
  }

  /** Runs one action drawn by weight, timed from `scheduledAt` (performance.now()). */
  async run(scheduledAt: number): Promise<Outcome> {
    let kind = this.picks[Math.floor(Math.random() * this.picks.length)]!;
    const idle = this.sessions.filter((s) => !s.busy);
    const quiet = idle.filter((s) => s.reading === 0);
    if ((kind === 'refresh' || kind === 'relogin') && quiet.length < 2) kind = 'read';
    let failure: string | undefined;
    try {
      if (kind === 'refresh' || kind === 'relogin') failure = await this.rotate(kind, pick(quiet));
      else failure = await this.request(kind, pick(idle));
    } catch (err) {
      failure = `${kind}: ${(err as Error).message}`;
    }
    return { kind, ms: performance.now() - scheduledAt, failure };
  }

  close(): void {
    this.agent.destroy();
  }

  private async request(kind: 'read' | 'list' | 'write', session: Session): Promise<string | undefined> {
    const item = pick(this.itemIds);
    session.reading++;
    try {
      const auth = { authorization: `Bearer ${session.access}` };
      const res =
        kind === 'read'
          ? await this.send('GET', `/v1/items/${item}`, auth)
          : kind === 'list'
            ? await this.send('GET', '/v1/items', auth)
            : await this.send(
                'PATCH',
                `/v1/items/${item}`,
                { ...auth, 'content-type': 'application/merge-patch+json' },
                JSON.stringify({ price_cents: 1000 + Math.floor(Math.random() * 9000) }),
              );
      if (res.status === 200) return undefined;
      // As a client would: a token the service no longer accepts means logging in again.
      if (res.status === 401) void this.replace(session);
      return `${kind}: ${res.status} ${res.body.slice(0, 120)}`;
    } finally {
      session.reading--;
    }
  }

  /** Logs `session` in again once no read is using it (a failed login is retried by the next 401). */
  private async replace(session: Session): Promise<void> {
    if (session.busy) return;
    session.busy = true;
    try {
      while (session.reading > 0) await new Promise((r) => setTimeout(r, 10));
      Object.assign(session, await this.login());
    } catch {
      // The next 401 on this session tries again.
    } finally {
      session.busy = false;
    }
  }

  /** A refresh rotates the session's tokens; a relogin logs it out and puts a new login in its place. */
  private async rotate(kind: 'refresh' | 'relogin', session: Session): Promise<string | undefined> {
    session.busy = true;
    try {
      if (kind === 'refresh') {
        let res = await this.token({ grant_type: 'refresh_token', refresh_token: session.refresh });
        let failure: string | undefined;
        if (res.status === 503) {
          // As a client would: the rotation may have been applied before the answer was lost, and
          // the same refresh token may be presented again within REFRESH_REUSE_LEEWAY_SECONDS.
          failure = `refresh: 503 ${res.body.slice(0, 120)}`;
          await new Promise((r) => setTimeout(r, 1000));
          res = await this.token({ grant_type: 'refresh_token', refresh_token: session.refresh });
        }
        if (res.status !== 200) {
          Object.assign(session, await this.login());
          return failure ?? `refresh: ${res.status} ${res.body.slice(0, 120)}`;
        }
        Object.assign(session, tokensOf(res));
        return failure;
      }
      const out = await this.send('POST', '/logout', { authorization: `Bearer ${session.access}` });
      Object.assign(session, await this.login());
      return out.status === 204 || out.status === 200 ? undefined : `logout: ${out.status} ${out.body.slice(0, 120)}`;
    } finally {
      session.busy = false;
    }
  }

  private async login(): Promise<Session> {
    const { username, password } = this.credentials;
    const res = await this.token({ grant_type: 'password', username, password, scope: 'items:read items:write' });
    if (res.status !== 200) throw new Error(`login ${res.status} ${res.body.slice(0, 120)}`);
    return { ...tokensOf(res), reading: 0, busy: false };
  }

  private token(form: Record<string, string>): Promise<Reply> {
    return this.send(
      'POST',
      '/token',
      { 'content-type': 'application/x-www-form-urlencoded' },
      new URLSearchParams(form).toString(),
    );
  }

  private send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.url.hostname, port: this.url.port, method, path, headers, agent: this.agent, timeout: 30_000 },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
      req.on('error', reject);
      req.end(body);
    });
  }
}

function tokensOf(res: Reply): { access: string; refresh: string } {
  const body = JSON.parse(res.body) as { access_token: string; refresh_token: string };
  return { access: body.access_token, refresh: body.refresh_token };
}

function pick<T>(xs: T[]): T {
  return xs[Math.floor(Math.random() * xs.length)]!;
}
