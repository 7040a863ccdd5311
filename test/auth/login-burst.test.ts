/**
 * The login limit holds under concurrency: 40 parallel guesses for one username, spread over two
 * instances sharing one Redis and one database, get at most the limit's worth of password
 * verifications, and the right password arriving 31st is refused (README, Brute force and
 * enumeration). Same for the current-password check of PUT /me/password.
 */
import { PasswordHasher } from '../../src/auth/passwords';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';

/** The test hasher's cost, counting every argon2 verification (a dummy one for unknown users too). */
class CountingHasher extends PasswordHasher {
  verifications = 0;
  constructor() {
    super({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
  }
  override async verify(hash: string, password: string): Promise<boolean> {
    this.verifications++;
    return super.verify(hash, password);
  }
}

const PAIR_LIMIT = 10; // the default LOGIN_MAX_FAILURES_PER_USER_IP
const BURST = 40;
const RIGHT_AT = 30; // position 31

const hasher = new CountingHasher();
let a: TestApp;
let b: TestApp;
let apis: ReturnType<typeof client>[];

beforeAll(async () => {
  a = await startTestApp({ passwords: hasher });
  b = await startTestApp({ passwords: hasher, db: a.db, redisServer: a.redisServer });
  apis = [client(a.url), client(b.url)];
});
afterAll(async () => {
  await b.stop();
  await a.stop();
});

/** Sends `BURST` requests at once, alternating instances; returns the statuses and the verifications they cost. */
async function burst(
  send: (api: ReturnType<typeof client>, i: number) => Promise<{ status: number; headers: Record<string, string> }>,
) {
  const before = hasher.verifications;
  const responses = await Promise.all(Array.from({ length: BURST }, (_, i) => send(apis[i % 2]!, i)));
  return { responses, verified: hasher.verifications - before };
}

describe('a burst of parallel guesses against two instances', () => {
  it('POST /token verifies at most the limit, and the right password at position 31 is refused', async () => {
    await a.createUser('burst-token', 'burst-token-password-1', []);
    const { responses, verified } = await burst((api, i) =>
      api.post('/token', {
        form: {
          grant_type: 'password',
          username: 'burst-token',
          password: i === RIGHT_AT ? 'burst-token-password-1' : `wrong-guess-${i}`,
        },
      }),
    );
    process.stdout.write(`POST /token burst: ${verified} of ${BURST} attempts verified\n`);
    expect(verified).toBeLessThanOrEqual(PAIR_LIMIT);
    expect(responses[RIGHT_AT]!.status).toBe(429);
    expect(responses.filter((r) => r.status === 400)).toHaveLength(verified);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(BURST - verified);
    for (const r of responses.filter((x) => x.status === 429)) expect(r.headers.ratelimit).toMatch(/^"pair";r=0;t=\d+/);
  });

  it('PUT /me/password verifies at most the limit, and the right current password at position 31 is refused', async () => {
    const id = await a.createUser('burst-change', 'burst-change-password-1', []);
    const storedHash = async () =>
      (await a.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [id]))[0]!
        .password_hash;
    const hashBefore = await storedHash();
    const token = await apis[0]!.login('burst-change', 'burst-change-password-1');
    const { responses, verified } = await burst((api, i) =>
      api.request('PUT', '/me/password', {
        token,
        json: {
          current_password: i === RIGHT_AT ? 'burst-change-password-1' : `wrong-guess-${i}`,
          new_password: 'a fresh and long passphrase',
        },
      }),
    );
    process.stdout.write(`PUT /me/password burst: ${verified} of ${BURST} attempts verified\n`);
    expect(verified).toBeLessThanOrEqual(PAIR_LIMIT);
    expect(responses[RIGHT_AT]!.status).toBe(429);
    expect(responses.filter((r) => r.status === 400)).toHaveLength(verified);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(BURST - verified);
    // The password did not change.
    expect(await storedHash()).toBe(hashBefore);
  });
});
