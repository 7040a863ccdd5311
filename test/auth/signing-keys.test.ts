/**
 * Signing keys seen through TokenService: every token names its key, and verification takes the
 * key by `kid` and that key's algorithm alone (RFC 8725 §3.1), whatever the token's header claims.
 */

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import {
  base64url,
  decodeProtectedHeader,
  exportSPKI,
  type CryptoKey as KeyObjectLike,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import { hmacKey } from '../../src/auth/keys/hmac-key';
import { writeKeyFile } from '../../src/auth/keys/key-file';
import { KeyRing } from '../../src/auth/keys/key-ring';
import { KeySetError, loadKeySet } from '../../src/auth/keys/key-set';
import { openKeySource } from '../../src/auth/keys/key-source';
import { TokenService } from '../../src/auth/tokens';
import { loadConfig } from '../../src/core/config';
import { ApiError } from '../../src/core/errors';
import { capturingLogger } from '../support/logs';
import { type TestKeyFile, testKeyFile } from '../support/signing-keys';

const secret = randomBytes(48);
const settings = { secret, issuer: 'specgate', audience: 'specgate-api', lifetimeSeconds: 900 };
const times = { lifetimeSeconds: 900, toleranceSeconds: 5 };
const claims = { sub: 'u1', sid: '5f0c1d36-8a5e-4a52-9d3c-0b6c7c1c2e11', scope: 'items:read', clientId: 'c' };
let keyFile: TestKeyFile;

beforeAll(async () => {
  keyFile = await testKeyFile(['ES256', 'RS256', 'EdDSA']);
});
afterAll(() => keyFile.remove());

/** A TokenService whose only signer is the file's key of `alg`. */
async function serviceSigningWith(alg: 'ES256' | 'RS256' | 'EdDSA') {
  const keys = await loadKeySet(JSON.stringify({ keys: keyFile.keys.filter((k) => k.alg === alg) }));
  return new TokenService({ ...settings, keys: new KeyRing(hmacKey(secret), times, keys) });
}

const rejected = async (tokens: TokenService, token: string) => {
  const err = await tokens.verify(token).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).code).toBe('invalid_token');
};

describe.each(['ES256', 'RS256', 'EdDSA'] as const)('a %s key', (alg) => {
  it('signs tokens that name it by kid and verify', async () => {
    const tokens = await serviceSigningWith(alg);
    const { token } = await tokens.issue(claims);
    const kid = keyFile.keys.find((k) => k.alg === alg)!.kid;
    expect(decodeProtectedHeader(token)).toEqual({ alg, typ: 'at+jwt', kid });
    expect((await tokens.verify(token)).sub).toBe('u1');
  });
});

it('signs HS256 tokens under a kid derived from the secret, never the secret itself', async () => {
  const tokens = new TokenService(settings);
  const { kid } = decodeProtectedHeader((await tokens.issue(claims)).token);
  expect(kid).toBe(hmacKey(secret).kid);
  expect(kid).not.toContain(secret.toString('base64url').slice(0, 8));
  expect(new TokenService({ ...settings, secret: randomBytes(48) }).keys.signer(0).kid).not.toBe(kid);
});

it('forgets the tokens it verified with a key once that key leaves the set (a leaked key, taken out)', async () => {
  const keys = await loadKeySet(JSON.stringify({ keys: keyFile.keys.filter((k) => k.alg !== 'EdDSA') }));
  const ring = new KeyRing(hmacKey(secret), times, keys);
  const tokens = new TokenService({ ...settings, keys: ring });
  const { token } = await tokens.issue(claims);
  const signer = decodeProtectedHeader(token).kid;
  await tokens.verify(token);
  expect(tokens.memoized(token)?.sub).toBe('u1');
  ring.replace(
    keys.filter((k) => k.kid !== signer),
    Math.floor(Date.now() / 1000),
  );
  expect(tokens.memoized(token)).toBeUndefined();
  await rejected(tokens, token);
});

it('refuses a token naming a kid it does not hold', async () => {
  const tokens = await serviceSigningWith('ES256');
  const other = await serviceSigningWith('RS256');
  await rejected(tokens, (await other.issue(claims)).token);
});

it('refuses an HS256 token keyed with the public key of the kid it names (algorithm confusion)', async () => {
  const tokens = await serviceSigningWith('RS256');
  const rs = (await loadKeySet(JSON.stringify({ keys: keyFile.keys.filter((k) => k.alg === 'RS256') })))[0]!;
  const pem = await exportSPKI(rs.verifyKey as KeyObjectLike);
  const forged = await new SignJWT({ scope: 'items:read', client_id: 'c', sid: claims.sid })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: rs.kid })
    .setIssuer('specgate')
    .setAudience('specgate-api')
    .setSubject('u1')
    .setJti('j1')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(pem));
  await rejected(tokens, forged);
});

it('refuses alg: none, even naming a key it holds', async () => {
  const tokens = await serviceSigningWith('ES256');
  const kid = keyFile.keys.find((k) => k.alg === 'ES256')!.kid;
  const unsigned = new UnsecuredJWT({ scope: 'items:read', client_id: 'c', sid: claims.sid, sub: 'u1', jti: 'j1' })
    .setIssuer('specgate')
    .setAudience('specgate-api')
    .setIssuedAt()
    .setExpirationTime('5m')
    .encode();
  const [, payload] = unsigned.split('.');
  const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid }));
  await rejected(tokens, `${header}.${payload}.`);
});

it('writes the cnf claim of a DPoP-bound token and reads it back', async () => {
  const tokens = await serviceSigningWith('ES256');
  const { token } = await tokens.issue({ ...claims, jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
  expect((await tokens.verify(token)).cnf).toEqual({ jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
  expect((await tokens.verify((await tokens.issue(claims)).token)).cnf).toBeUndefined();
});

describe('the key file', () => {
  const open = (file: string, lines: string[] = []) =>
    openKeySource({
      signing: loadConfig({ NODE_ENV: 'test', JWT_SIGNING_KEYS_FILE: file, JWT_KEYS_POLL_MS: '100' }).jwt.signing,
      secret,
      dataDir: '/nonexistent',
      ...times,
      production: false,
      logger: capturingLogger('info', lines),
      clock: () => Math.floor(Date.now() / 1000),
    });

  it('is refused when group or others may read it', async () => {
    const loose = await testKeyFile(['ES256']);
    fs.chmodSync(loose.file, 0o640);
    await expect(open(loose.file)).rejects.toThrow(KeySetError);
    loose.remove();
  });

  it('is refused when a key is public only', async () => {
    const pub = await testKeyFile(['ES256']);
    const { d: _d, ...publicOnly } = pub.keys[0]!;
    await writeKeyFile(pub.file, [publicOnly as never]);
    await expect(open(pub.file)).rejects.toThrow(/not a private key/);
    pub.remove();
  });

  it('keeps the last good keys when a rotation writes a broken file', async () => {
    const file = await testKeyFile(['ES256']);
    const lines: string[] = [];
    const source = await open(file.file, lines);
    const kid = file.keys[0]!.kid;
    fs.writeFileSync(file.file, '{"keys": [', { mode: 0o600 });
    await source.refresh();
    source.stop();
    expect(source.ring.signer(Math.floor(Date.now() / 1000)).kid).toBe(kid);
    expect(lines.join('')).toContain('signing key file refused');
    file.remove();
  });
});
