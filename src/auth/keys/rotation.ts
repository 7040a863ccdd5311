/**
 * The steps of a key rotation, as edits of the stored key set. Each step only writes times into
 * the file; every instance reading it applies the same rules (./key-ring.ts), so the steps need no
 * coordination beyond waiting the notice period between them (README, "Signing keys and rotation").
 */
import { generateStoredKey } from './key-generation';
import { pickSigner } from './key-ring';
import { type AsymmetricAlg, RETIRED_AT, SIGN_FROM, type StoredJwk } from './key-set';

/** What a step did, as `npm run keys:rotate` prints it. */
export interface RotationReport {
  step: 'add' | 'promote' | 'retire' | 'prune';
  kids: string[];
  /** The key that signs once the step is read, and from when (seconds since the epoch). */
  signer: string | undefined;
  detail: string;
}

export interface RotationTimes {
  now: number;
  noticeSeconds: number;
  lifetimeSeconds: number;
  toleranceSeconds: number;
}

const signerKid = (keys: readonly StoredJwk[], now: number) =>
  pickSigner(
    keys.map((k) => ({ kid: k.kid, signFrom: k[SIGN_FROM], retiredAt: k[RETIRED_AT] })),
    now,
  )?.kid;

/** A new key, published at once; it signs after the notice period (or at once in an empty set). */
export async function addKey(keys: readonly StoredJwk[], alg: AsymmetricAlg, t: RotationTimes) {
  const first = keys.length === 0;
  const key = await generateStoredKey(alg, first ? t.now : t.now + t.noticeSeconds);
  const next = [...keys, key];
  return {
    keys: next,
    report: {
      step: 'add',
      kids: [key.kid],
      signer: signerKid(next, t.now),
      detail: first ? 'first key: signs now' : `published now, signs from ${key[SIGN_FROM]}`,
    } satisfies RotationReport,
  };
}

/** The newest key not retired signs from now on (the notice was waited out another way). */
export function promoteKey(keys: readonly StoredJwk[], t: RotationTimes) {
  const candidates = keys.filter((k) => k[RETIRED_AT] === undefined);
  const newest = candidates.reduce<StoredJwk | undefined>(
    (a, k) => (!a || k[SIGN_FROM] >= a[SIGN_FROM] ? k : a),
    undefined,
  );
  if (!newest) throw new Error('no key to promote: every key is retired');
  const next = keys.map((k) => (k === newest && k[SIGN_FROM] > t.now ? { ...k, [SIGN_FROM]: t.now } : k));
  return {
    keys: next,
    report: {
      step: 'promote',
      kids: [newest.kid],
      signer: signerKid(next, t.now),
      detail: 'signs now',
    } satisfies RotationReport,
  };
}

/**
 * Every key that has been signing, except the current signer, stops signing now. A key still
 * waiting out its notice is left alone: retiring it would only withdraw the next key.
 */
export function retireKeys(keys: readonly StoredJwk[], t: RotationTimes) {
  const signer = signerKid(keys, t.now);
  if (!signer) throw new Error('no key signs now: nothing to keep');
  const retired: string[] = [];
  const next = keys.map((k) => {
    if (k.kid === signer || k[RETIRED_AT] !== undefined || k[SIGN_FROM] > t.now) return k;
    retired.push(k.kid);
    return { ...k, [RETIRED_AT]: t.now };
  });
  const until = t.now + t.lifetimeSeconds + t.toleranceSeconds;
  return {
    keys: next,
    report: {
      step: 'retire',
      kids: retired,
      signer,
      detail: `verify until ${until}, then prune`,
    } satisfies RotationReport,
  };
}

/** Removes retired keys whose last token has expired. */
export function pruneKeys(keys: readonly StoredJwk[], t: RotationTimes) {
  const gone = (k: StoredJwk) =>
    k[RETIRED_AT] !== undefined && t.now > k[RETIRED_AT] + t.lifetimeSeconds + t.toleranceSeconds;
  const next = keys.filter((k) => !gone(k));
  return {
    keys: next,
    report: {
      step: 'prune',
      kids: keys.filter(gone).map((k) => k.kid),
      signer: signerKid(next, t.now),
      detail: 'removed',
    } satisfies RotationReport,
  };
}
