/**
 * DPoP proofs (RFC 9449 §4.3) as the verifier judges them, with the replay cache in the worker's
 * shared Redis: each refused proof names the RFC's error code.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { DpopError } from '../../src/auth/dpop/dpop-error';
import { DpopVerifier } from '../../src/auth/dpop/dpop-verifier';
import { normaliseHtu } from '../../src/auth/dpop/htu';
import { DependencyUnavailableError } from '../../src/core/errors';
import { dpopKey, type TestDpopKey } from '../support/dpop';
import { sharedRedis } from '../support/shared-redis';

const PUBLIC_URL = 'https://api.example.com';
const URI = `${PUBLIC_URL}/v1/items`;
const secret = randomBytes(32);
let redis: Redis;
let key: TestDpopKey;
let now = Math.floor(Date.now() / 1000);
const clock = () => now;

beforeAll(async () => {
  const server = await sharedRedis();
  redis = new Redis(server.url, { password: server.password });
  key = await dpopKey();
});
afterAll(() => redis.disconnect());
beforeEach(() => {
  now = Math.floor(Date.now() / 1000);
});

const verifier = (nonceRequired = false) =>
  new DpopVerifier(redis, { proofMaxAgeSeconds: 60, nonceRequired, secret, publicUrl: PUBLIC_URL }, clock);
const request = { method: 'GET', uri: URI, path: '/v1/items?page=2', accessToken: 'the-access-token' };

async function refusal(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DpopError)) throw new Error(`expected a DpopError, got ${String(err)}`);
  return err.code;
}

it('accepts a fresh proof and answers its key thumbprint', async () => {
  const proof = await key.proof({ ...request, iat: now });
  await expect(verifier().verify(proof, request)).resolves.toMatchObject({ jkt: key.jkt });
});

it.each(['RS256', 'PS256', 'EdDSA'] as const)('accepts a proof signed with %s', async (alg) => {
  const other = await dpopKey(alg);
  await expect(verifier().verify(await other.proof(request), request)).resolves.toMatchObject({ jkt: other.jkt });
});

it('refuses a proof used a second time', async () => {
  const proof = await key.proof(request);
  await verifier().verify(proof, request);
  expect(await refusal(verifier().verify(proof, request))).toBe('invalid_dpop_proof');
});

it.each([
  ['no proof', async () => undefined],
  ['two proofs in one header', async () => `${await key.proof(request)}, ${await key.proof(request)}`],
  ['another method (htm)', () => key.proof({ ...request, method: 'POST' })],
  ['another URI (htu)', () => key.proof({ ...request, uri: 'https://api.example.com/v1/users' })],
  ['another host (htu)', () => key.proof({ ...request, uri: 'https://evil.example.com/v1/items' })],
  ['an iat older than the window', () => key.proof({ ...request, iat: now - 61 })],
  ['an iat ahead of the clock', () => key.proof({ ...request, iat: now + 30 })],
  ['no iat', () => key.proof({ ...request, claims: { iat: undefined } })],
  ['no jti', () => key.proof({ ...request, claims: { jti: undefined } })],
  ['an absurdly long jti', () => key.proof({ ...request, claims: { jti: 'x'.repeat(1000) } })],
  ['another access token (ath)', () => key.proof({ ...request, accessToken: 'another-token' })],
  ['no ath at a resource', () => key.proof({ ...request, accessToken: undefined })],
  ['another typ', () => key.proof({ ...request, header: { typ: 'JWT' } })],
  ['a jwk that is not the signing key', async () => key.proof({ ...request, header: { jwk: (await dpopKey()).jwk } })],
])('refuses a proof with %s as invalid_dpop_proof', async (_, make) => {
  expect(await refusal(verifier().verify(await make(), request))).toBe('invalid_dpop_proof');
});

it('refuses a proof signed with HS256', async () => {
  const proof = await new SignJWT({ jti: 'a', htm: 'GET', htu: URI, iat: now })
    .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } as never })
    .sign(randomBytes(32));
  expect(await refusal(verifier().verify(proof, { method: 'GET', path: '/v1/items' }))).toBe('invalid_dpop_proof');
});

it('refuses a proof whose jwk carries the private key', async () => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const proof = await new SignJWT({ jti: 'b', htm: 'GET', htu: URI, iat: now })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: privateJwk })
    .sign(privateKey);
  expect(await refusal(verifier().verify(proof, { method: 'GET', path: '/v1/items' }))).toBe('invalid_dpop_proof');
});

it('compares htu after normalising scheme and host case and the default port', async () => {
  expect(normaliseHtu('HTTPS://API.Example.com:443/v1/items?x=1#f')).toBe(normaliseHtu(URI));
  const proof = await key.proof({ ...request, uri: 'HTTPS://API.EXAMPLE.COM:443/v1/items' });
  await expect(verifier().verify(proof, request)).resolves.toMatchObject({ jkt: key.jkt });
});

describe('when nonces are required', () => {
  it('asks for a nonce (use_dpop_nonce), then accepts the proof carrying it', async () => {
    const v = verifier(true);
    expect(await refusal(v.verify(await key.proof(request), request))).toBe('use_dpop_nonce');
    const nonce = v.nonce();
    await expect(v.verify(await key.proof({ ...request, nonce }), request)).resolves.toMatchObject({ jkt: key.jkt });
  });

  it('accepts a nonce from another instance sharing the secret, and refuses a forged or stale one', async () => {
    const nonce = verifier(true).nonce()!;
    await expect(verifier(true).verify(await key.proof({ ...request, nonce }), request)).resolves.toBeDefined();
    const at = nonce.indexOf('.') + 1;
    const forged = `${nonce.slice(0, at)}${nonce[at] === 'A' ? 'B' : 'A'}${nonce.slice(at + 1)}`;
    expect(await refusal(verifier(true).verify(await key.proof({ ...request, nonce: forged }), request))).toBe(
      'use_dpop_nonce',
    );
    now += 3600;
    const stale = await key.proof({ ...request, nonce, iat: now });
    expect(await refusal(verifier(true).verify(stale, request))).toBe('use_dpop_nonce');
  });
});

it('fails closed with 503 when Redis cannot be reached', async () => {
  const down = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  const v = new DpopVerifier(
    down,
    { proofMaxAgeSeconds: 60, nonceRequired: false, secret, publicUrl: PUBLIC_URL },
    clock,
  );
  try {
    await expect(v.verify(await key.proof(request), request)).rejects.toBeInstanceOf(DependencyUnavailableError);
  } finally {
    down.disconnect();
  }
});
