/**
 * Where a browser sign-in waits between the authorization request and its callback: one entry per
 * sign-in, keyed by its `state`, so that two sign-ins under way in two tabs sharing a storage (or
 * two windows of one tab's history) never read each other's verifier. Entries expire, and each
 * new sign-in sweeps the expired ones away, so abandoned sign-ins do not pile up.
 */

/**
 * The part of the Web Storage API the sign-in uses (`sessionStorage` by default). `length` and
 * `key` are optional: without them, abandoned entries are not swept.
 */
export interface SignInStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  readonly length?: number;
  key?(index: number): string | null;
}

/** What the callback needs of the request it answers. */
export interface PendingSignIn {
  /** The PKCE `code_verifier` (RFC 7636 §4.1): the secret only this browser holds. */
  verifier: string;
  clientId: string;
  /** Sent again at /token, which checks it is the request's (RFC 6749 §4.1.3). */
  redirectUri: string;
  /** The issuer the request was sent to: the callback's `iss` must be this (RFC 9207 §2.4). */
  issuer: string;
  /** Whether the service said it always sends `iss` (`authorization_response_iss_parameter_supported`). */
  issRequired: boolean;
  /** Milliseconds since the epoch after which the callback is refused. */
  expiresAt: number;
}

/** How long a sign-in may take from the redirect to the callback: time to type a password, not more. */
export const SIGN_IN_LIFETIME_MS = 15 * 60 * 1000;

const PREFIX = 'specgate.sign-in.';

/** Keeps `pending` under `state`, after sweeping expired entries. */
export function savePending(storage: SignInStorage, state: string, pending: PendingSignIn, now: number): void {
  sweep(storage, now);
  storage.setItem(PREFIX + state, JSON.stringify(pending));
}

/**
 * Takes the entry of `state` out of the storage, whatever it holds: a callback is answered once,
 * and the verifier does not outlive it. Answers `undefined` when there is none, it is unreadable,
 * or it expired.
 */
export function takePending(storage: SignInStorage, state: string, now: number): PendingSignIn | undefined {
  const key = PREFIX + state;
  const raw = storage.getItem(key);
  storage.removeItem(key);
  const pending = parse(raw);
  return pending && pending.expiresAt > now ? pending : undefined;
}

function sweep(storage: SignInStorage, now: number): void {
  if (storage.length === undefined || !storage.key) return;
  const stale: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (!key?.startsWith(PREFIX)) continue;
    const pending = parse(storage.getItem(key));
    if (!pending || pending.expiresAt <= now) stale.push(key);
  }
  // Removing while iterating would shift the indexes.
  for (const key of stale) storage.removeItem(key);
}

function parse(raw: string | null): PendingSignIn | undefined {
  if (raw === null) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<PendingSignIn> | null;
    const complete =
      typeof value?.verifier === 'string' &&
      typeof value.clientId === 'string' &&
      typeof value.redirectUri === 'string' &&
      typeof value.issuer === 'string' &&
      typeof value.issRequired === 'boolean' &&
      typeof value.expiresAt === 'number';
    return complete ? (value as PendingSignIn) : undefined;
  } catch {
    return undefined;
  }
}
