/**
 * The production check of JWT_SECRET (src/core/secret-strength.ts) through loadConfig: random keys
 * in every usual encoding pass, every time; phrases, patterns and UUIDs that spell fewer than 256
 * random bits are refused, without the value being echoed. loadConfig runs in a node process of
 * its own (test/support/config-problems-process.ts): in jest's sandbox, the 9,400 estimates took
 * 2.7 times their CPU.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { useConfigProblemsProcess } from '../support/config-problems-process';

/** An RFC 9562 §5.7 UUIDv7: 48 bits of Unix milliseconds, then 74 random bits. */
function uuidV7(): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(Date.now(), 0, 6);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const { problemsOf } = useConfigProblemsProcess();

describe('in production, a JWT secret must carry 256 bits of randomness', () => {
  const production = (secret: string) =>
    problemsOf({
      NODE_ENV: 'production',
      PLAIN_HTTP: 'true',
      REDIS_URL: 'redis://redis:6379',
      JWT_SECRET: secret,
      PUBLIC_URL: 'https://api.example.com',
    });

  it.each([
    ['openssl rand -base64 48', () => randomBytes(48).toString('base64')],
    [
      '64 random letters and digits',
      () =>
        Array.from(
          randomBytes(64),
          (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[b % 62],
        ).join(''),
    ],
    ['three random UUIDs (366 bits)', () => `${randomUUID()}${randomUUID()}${randomUUID()}`],
    [
      // Random bytes whose hex is half chance "dates" and repeats (`39181`, `eeee`, `c7c7`,
      // `100468`, `280354`, `1276076`): found by the property below, refused once.
      'a random hex key that is half chance patterns',
      () => 'ffd4a479059ee1d6339181eeee11a7ac7c710046896cfa312803541276076d67',
    ],
  ])('accepts %s, every time', async (_name, make) => {
    // 100 fresh values: an estimator that sometimes refuses honest randomness fails here.
    const secrets = Array.from({ length: 100 }, make);
    const problems = await Promise.all(secrets.map(production));
    expect(secrets.filter((_secret, i) => problems[i]?.length !== 0)).toEqual([]);
  });

  it.each(['hex', 'base64', 'base64url'] as const)(
    'accepts 3,000 random 32-byte keys in %s: looking for words in them never refuses randomness',
    async (encoding) => {
      // 32 bytes spell exactly 256 bits, so a single chance "word" charged as one would refuse
      // the key: the estimate must tell a phrase from random text that holds a word or two.
      await fc.assert(
        // noBias: uniform bytes, as `openssl rand` gives; fast-check's default leans to edge cases
        // such as 32 zero bytes, which the placeholder check rightly refuses.
        fc.asyncProperty(fc.noBias(fc.uint8Array({ minLength: 32, maxLength: 32 })), async (bytes) => {
          expect(await production(Buffer.from(bytes).toString(encoding))).toEqual([]);
        }),
        { numRuns: 3000 },
      );
    },
    // A limit against hangs, not a speed assertion: 3,000 estimates on a loaded 2-core machine.
    300_000,
  );

  it.each([
    ['a repeated word', 'changeme-changeme-changeme-changeme-changeme'],
    ['a dictionary phrase', 'correct horse battery staple correct horse battery staple'],
    ['a sentence', 'this is my super secret jwt signing key for production use'],
    ['a camel-cased sentence', 'ThisIsMySuperSecretJwtSigningKeyForProductionUseOnly2024!'],
    ['words that happen to be base64', 'thisismysupersecretjwtsigningkeyforproductionuseonly'],
    ['a keyboard walk', 'qwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjklzxcvbnm1234567890'],
    ['alphabet sequences', 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG'],
    ['counting bytes in hex', '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'],
    ['a short pattern repeated, in base64', Buffer.from('k9#Qz!'.repeat(8)).toString('base64')],
    ['24 random bytes (192 bits)', randomBytes(24).toString('base64')],
    ['a pangram, spaced', 'the quick brown fox jumps over the lazy dog again and again'],
    ['hyphenated words that are valid base64url', 'my-super-secret-jwt-signing-key-for-specgate-production-2026'],
    ['a name, a region, a date and a version', 'specgate-prod-eu-west-1-2026-12-07-secret-key-v1'],
    ['two UUIDs (244 random bits)', `${randomUUID()}${randomUUID()}`],
    ['two UUIDs, hyphenated', `${randomUUID()}-${randomUUID()}`],
    ['three time-ordered UUIDs (222 random bits)', `${uuidV7()}${uuidV7()}${uuidV7()}`],
  ])('refuses %s, says how to make one and never echoes it', async (_name, secret) => {
    const problems = await production(secret);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^JWT_SECRET must carry at least 256 bits/);
    expect(problems[0]).toContain('openssl rand -base64 48');
    expect(problems[0]).not.toContain(secret.slice(0, 12));
  });

  it('leaves development and test to the length and placeholder checks', async () => {
    expect(await problemsOf({ JWT_SECRET: 'changeme-changeme-changeme-changeme-changeme' })).toEqual([]);
  });
});
