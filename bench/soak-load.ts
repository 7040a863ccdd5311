/**
 * The mixed load of `npm run soak`: a pool of logged-in sessions, and actions drawn by weight from
 * what a real client does (cached reads, a list, merge-patch writes, refreshes, logout + login).
 * A session being refreshed or logged out takes no new reads until it is done, so every failure
 * counted is the service's, never a race of the driver's own making. Keep-alive node:http client.
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
      return res.status === 200 ? undefined : `${kind}: ${res.status} ${res.body.slice(0, 120)}`;
    } finally {
      session.reading--;
    }
  }

  /** A refresh rotates the session's tokens; a relogin logs it out and puts a new login in its place. */
  private async rotate(kind: 'refresh' | 'relogin', session: Session): Promise<string | undefined> {
    session.busy = true;
    try {
      if (kind === 'refresh') {
        const res = await this.token({ grant_type: 'refresh_token', refresh_token: session.refresh });
        if (res.status !== 200) return `refresh: ${res.status} ${res.body.slice(0, 120)}`;
        Object.assign(session, tokensOf(res));
        return undefined;
      }
      const out = await this.send('POST', '/logout', { authorization: `Bearer ${session.access}` });
      if (out.status !== 204 && out.status !== 200) return `logout: ${out.status} ${out.body.slice(0, 120)}`;
      Object.assign(session, await this.login());
      return undefined;
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
