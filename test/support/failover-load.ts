/**
 * A client that keeps sending what users send while a failover happens: cached reads of an item
 * (with and without If-None-Match), merge-patch writes to it, refresh-token rotations, and reads
 * with a token whose session was ended just before. It records every answer; the test judges them.
 */
import { client } from './contract';

export type LoadKind = 'read' | 'write' | 'refresh' | 'revoked';

export interface LoadAnswer {
  kind: LoadKind;
  /** Date.now() when the request was sent and when its answer arrived. */
  sentAt: number;
  at: number;
  status: number;
  retryAfter: string | undefined;
  /** A read or write's price_cents; a refresh's error code. */
  detail?: unknown;
}

export interface LoadSubjects {
  url: string;
  itemPath: string;
  /** A live session's access token (reads and writes). */
  access: string;
  /** The access token of a session ended before the load starts. */
  revoked: string;
  /** A refresh token of a third session, rotated over and over. */
  refresh: string;
}

/** Every refresh token presented, mapped to the distinct successors its 200 answers carried. */
export type Rotations = Map<string, Set<string>>;

export interface RunningLoad {
  answers: LoadAnswer[];
  rotations: Rotations;
  /** The last price a write got 200 for, when that answer arrived, per write (in order). */
  acknowledged: { price: number; at: number }[];
  /** Stops the workers; resolves to the refresh session's newest token pair. */
  stop(): Promise<{ access: string | undefined; refresh: string }>;
}

const PAUSE_MS = 10;
/** A 503 asks for Retry-After seconds; a failover test retries sooner, to see the first moment it works. */
const RETRY_MS = 50;

export function startLoad(s: LoadSubjects): RunningLoad {
  const api = client(s.url);
  const answers: LoadAnswer[] = [];
  const rotations: Rotations = new Map();
  const acknowledged: { price: number; at: number }[] = [];
  let running = true;
  let refresh = s.refresh;
  let refreshedAccess: string | undefined;

  const record = async (kind: LoadKind, send: () => ReturnType<typeof api.get>) => {
    const sentAt = Date.now();
    const res = await send();
    const answer: LoadAnswer = {
      kind,
      sentAt,
      at: Date.now(),
      status: res.status,
      retryAfter: res.headers['retry-after'],
    };
    answers.push(answer);
    return { res, answer };
  };
  const loop = async (step: () => Promise<void>) => {
    while (running) {
      await step();
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
  };

  let etag: string | undefined;
  const reader = loop(async () => {
    const headers: Record<string, string> = etag ? { 'if-none-match': etag } : {};
    const { res, answer } = await record('read', () => api.get(s.itemPath, { token: s.access, headers }));
    if (res.status === 200) answer.detail = res.body.price_cents;
    // Every other read is unconditional, so the body (and its freshness) is seen throughout.
    etag = etag || res.status !== 200 ? undefined : res.headers.etag;
  });
  let price = 1000;
  const writer = loop(async () => {
    price += 1;
    const json = { price_cents: price };
    const headers = { 'content-type': 'application/merge-patch+json' };
    const { res, answer } = await record('write', () =>
      api.request('PATCH', s.itemPath, { token: s.access, json, headers }),
    );
    answer.detail = price;
    if (res.status === 200) acknowledged.push({ price, at: answer.at });
  });
  const refresher = loop(async () => {
    const presented = refresh;
    const { res, answer } = await record('refresh', () =>
      api.post('/token', { form: { grant_type: 'refresh_token', refresh_token: presented } }),
    );
    if (res.status === 200) {
      const successors = rotations.get(presented) ?? new Set<string>();
      successors.add(res.body.refresh_token);
      rotations.set(presented, successors);
      refresh = res.body.refresh_token;
      refreshedAccess = res.body.access_token;
    } else {
      answer.detail = res.body?.error;
      // The same token again: the rotation either never happened, or it did and this is its retry.
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  });
  const revoked = loop(async () => {
    await record('revoked', () => api.get(s.itemPath, { token: s.revoked }));
  });

  return {
    answers,
    rotations,
    acknowledged,
    async stop() {
      running = false;
      await Promise.all([reader, writer, refresher, revoked]);
      return { access: refreshedAccess, refresh };
    },
  };
}
