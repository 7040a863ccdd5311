/**
 * Where the signing keys come from, as the config says: a key file, a key generated once in
 * development, or HS256 with JWT_SECRET (production without a file, and the test harness).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEV_KEY_FILE, openKeySource } from '../../src/auth/keys/key-source';
import { loadConfig } from '../../src/core/config';
import { problemsOf } from '../support/config-problems';
import { capturingLogger } from '../support/logs';

const SECRET = randomBytes(48).toString('base64');
const production = {
  NODE_ENV: 'production',
  REDIS_URL: 'redis://redis:6379',
  JWT_SECRET: SECRET,
  PLAIN_HTTP: 'true',
  PUBLIC_URL: 'https://api.example.com',
};

describe('signing settings', () => {
  it('sign HS256 in production without a key file, ES256 from a generated key in development, HS256 in test', () => {
    expect(loadConfig(production).jwt.signing).toMatchObject({ keysFile: undefined, alg: 'HS256' });
    expect(loadConfig({ NODE_ENV: 'development' }).jwt.signing.alg).toBe('ES256');
    expect(loadConfig({ NODE_ENV: 'test' }).jwt.signing.alg).toBe('HS256');
    expect(loadConfig({ NODE_ENV: 'test', JWT_SIGNING_ALG: 'EdDSA' }).jwt.signing.alg).toBe('EdDSA');
  });

  it('refuse an unknown algorithm, and an asymmetric one in production without a key file', () => {
    expect(problemsOf({ NODE_ENV: 'test', JWT_SIGNING_ALG: 'none' })).toEqual([
      'JWT_SIGNING_ALG must be one of ES256, RS256, EdDSA, HS256 (got "none")',
    ]);
    expect(problemsOf({ ...production, JWT_SIGNING_ALG: 'ES256' })).toEqual([
      'JWT_SIGNING_ALG=ES256 in production needs JWT_SIGNING_KEYS_FILE (keys are generated in development only)',
    ]);
    expect(problemsOf({ ...production, JWT_SIGNING_KEYS_FILE: '/run/secrets/keys.json' })).toEqual([]);
  });

  it('default to an hour of notice and a 5 s poll', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).jwt.signing).toMatchObject({ noticeSeconds: 3600, pollMs: 5000 });
  });
});

describe('a development key', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-devkey-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const open = (alg: string, lines: string[] = []) =>
    openKeySource({
      signing: loadConfig({ NODE_ENV: 'development', JWT_SIGNING_ALG: alg }).jwt.signing,
      secret: Buffer.from(SECRET),
      dataDir,
      lifetimeSeconds: 900,
      toleranceSeconds: 5,
      production: false,
      logger: capturingLogger('info', lines),
      clock: () => Math.floor(Date.now() / 1000),
    });

  it('is generated once under DATA_DIR, owner-only, and reused on restart', async () => {
    const first = await open('RS256');
    first.stop();
    const file = path.join(dataDir, DEV_KEY_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const signer = first.ring.signer(Math.floor(Date.now() / 1000));
    expect(signer.alg).toBe('RS256');
    const again = await open('RS256');
    again.stop();
    expect(again.ring.signer(Math.floor(Date.now() / 1000)).kid).toBe(signer.kid);
  });

  it('is not made when HS256 is asked for', async () => {
    const lines: string[] = [];
    const source = await open('HS256', lines);
    expect(source.ring.asymmetric).toBe(false);
    expect(fs.existsSync(path.join(dataDir, DEV_KEY_FILE))).toBe(false);
  });
});

it('logs one line in production when tokens are signed HS256', async () => {
  const lines: string[] = [];
  await openKeySource({
    signing: loadConfig(production).jwt.signing,
    secret: Buffer.from(SECRET),
    dataDir: '/nonexistent',
    lifetimeSeconds: 900,
    toleranceSeconds: 5,
    production: true,
    logger: capturingLogger('info', lines),
    clock: () => 0,
  });
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain('no JWKS is published');
  expect(lines[0]).not.toContain(SECRET);
});
