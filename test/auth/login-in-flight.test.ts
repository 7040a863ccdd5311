/**
 * Parallel logins with the right password from one address: while the pair limit is full of
 * attempts still being verified (reserved before the password is checked, and held open here by
 * a hasher that waits on a gate), a further login gets a 429 that says the attempts are in
 * progress and asks for a retry in seconds, not in the window's minutes. Failures keep their
 * window.
 */
import { PasswordHasher } from '../../src/auth/passwords';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';

const PAIR_LIMIT = 3;

/** Fast argon2id whose verify() calls wait for `open()` while the gate is closed. */
class GatedHasher extends PasswordHasher {
  private gate: Promise<void> | undefined;
  private opener: (() => void) | undefined;
  waiting = 0;

  constructor() {
    super({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
  }

  close(): void {
    this.gate = new Promise((resolve) => (this.opener = resolve));
  }

  open(): void {
    this.opener?.();
    this.gate = undefined;
  }

  override async verify(hash: string, password: string): Promise<boolean> {
    const ok = await super.verify(hash, password);
    if (this.gate) {
      this.waiting++;
      await this.gate;
      this.waiting--;
    }
    return ok;
  }
}

const hasher = new GatedHasher();
let t: TestApp;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp({ passwords: hasher, env: { LOGIN_MAX_FAILURES_PER_USER_IP: String(PAIR_LIMIT) } });
  api = client(t.url);
});
afterAll(() => t.stop());

const login = (username: string, password: string) =>
  api.post('/token', { form: { grant_type: 'password', username, password } });

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

it('answers a login refused only by attempts in flight with a 429 that says so and a Retry-After of seconds', async () => {
  await t.createUser('parallel', 'parallel-password-1', []);
  hasher.close();
  const held = Array.from({ length: PAIR_LIMIT }, () => login('parallel', 'parallel-password-1'));
  try {
    await until(() => hasher.waiting === PAIR_LIMIT);
    const refused = await login('parallel', 'parallel-password-1');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('invalid_request');
    expect(refused.body.error_description).toMatch(/in progress/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(5);
  } finally {
    hasher.open();
  }
  expect((await Promise.all(held)).map((r) => r.status)).toEqual(Array(PAIR_LIMIT).fill(200));
  // Once they are through, the retry the 429 asked for succeeds.
  expect((await login('parallel', 'parallel-password-1')).status).toBe(200);
});

it('keeps the window for a refusal caused by failures, even for the right password', async () => {
  await t.createUser('guessed', 'guessed-password-1', []);
  for (let i = 0; i < PAIR_LIMIT; i++) expect((await login('guessed', `wrong-${i}`)).status).toBe(400);
  const refused = await login('guessed', 'guessed-password-1');
  expect(refused.status).toBe(429);
  expect(refused.body.error_description).toMatch(/failed attempts/);
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(t.config.loginLimits.windowSeconds - 10);
});
