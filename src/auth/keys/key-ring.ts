/**
 * Which key signs and which keys verify, at a given instant. The rules follow from RFC 7517 and
 * RFC 8725 §3.1 (see README, "Signing keys and rotation"):
 * - a key is published from the moment it is in the set, and signs from its sign-from time;
 * - the signer is the newest key whose sign-from time has passed and that is not retired;
 * - a retired key stays published and verifying until the last token it signed has expired.
 * The HS256 key of JWT_SECRET signs only when the set holds no asymmetric key; it always verifies
 * its own `kid`, so tokens signed before keys were configured keep working until they expire.
 */
import type { SigningKey } from './key-set';

export interface KeyRingTimes {
  /** Access-token lifetime: how long a retired key's last token lives. */
  lifetimeSeconds: number;
  /** Clock skew tolerated on exp, added to that. */
  toleranceSeconds: number;
}

export class KeyRing {
  private keys: readonly SigningKey[] = [];
  private readonly removalListeners: (() => void)[] = [];

  constructor(
    private readonly hmac: SigningKey,
    private readonly times: KeyRingTimes,
    keys: readonly SigningKey[] = [],
  ) {
    this.keys = keys;
  }

  /** True when tokens are signed with asymmetric keys (and a JWKS is published). */
  get asymmetric(): boolean {
    return this.keys.length > 0;
  }

  /**
   * Replaces the asymmetric keys (after a rotation step was read from the file). Throws when the
   * new set has no key that may sign at `now`: the caller keeps the set it had.
   */
  replace(keys: readonly SigningKey[], now: number): void {
    if (keys.length > 0 && !pickSigner(keys, now))
      throw new Error('no key in the set may sign now (every key is retired or not yet due)');
    const kept = new Set(keys.map((k) => k.kid));
    const removed = this.keys.some((k) => !kept.has(k.kid));
    this.keys = keys;
    if (removed) for (const listener of this.removalListeners) listener();
  }

  /**
   * Calls `listener` whenever a key leaves the set: pruned after its last token expired, or taken
   * out at once because it leaked. A memo of verified tokens must forget them then, or a leaked
   * key's tokens would outlive it.
   */
  onKeysRemoved(listener: () => void): void {
    this.removalListeners.push(listener);
  }

  /** The key that signs a token issued at `now`. */
  signer(now: number): SigningKey {
    if (this.keys.length === 0) return this.hmac;
    // replace() refused a set without a signer, and sign-from times only fall further into the past.
    return pickSigner(this.keys, now) ?? this.hmac;
  }

  /** The key a token naming `kid` must verify with, or undefined when no such key verifies now. */
  verifier(kid: string, now: number): SigningKey | undefined {
    if (kid === this.hmac.kid) return this.hmac;
    return this.published(now).find((k) => k.kid === kid);
  }

  /** The asymmetric keys a JWKS lists at `now`: the pending, the signer, and retired keys still needed. */
  published(now: number): SigningKey[] {
    return this.keys.filter((k) => !this.expired(k, now));
  }

  /** A retired key whose last token has expired: it neither verifies nor is published. */
  expired(key: Pick<SigningKey, 'retiredAt'>, now: number): boolean {
    const { lifetimeSeconds, toleranceSeconds } = this.times;
    return key.retiredAt !== undefined && now > key.retiredAt + lifetimeSeconds + toleranceSeconds;
  }
}

/** The newest key whose sign-from time has passed and that is not retired (the later one on a tie). */
export function pickSigner<K extends Pick<SigningKey, 'signFrom' | 'retiredAt'>>(
  keys: readonly K[],
  now: number,
): K | undefined {
  let best: K | undefined;
  for (const key of keys) {
    if (key.retiredAt !== undefined || key.signFrom > now) continue;
    if (!best || key.signFrom >= best.signFrom) best = key;
  }
  return best;
}
