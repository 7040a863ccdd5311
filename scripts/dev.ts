/**
 * `npm run dev`: the service with embedded defaults on a fresh machine. It fills in what a
 * developer has not configured, keeping every generated secret in files under DATA_DIR (0600):
 *  - Redis: REDIS_URL if set, else a Redis answering on 127.0.0.1:6379, else a private
 *    redis-server (from PATH) on a free port with a generated password;
 *  - JWT_SECRET, when unset, is generated once into DATA_DIR/jwt-secret;
 *  - the token signing key, without JWT_SIGNING_KEYS_FILE: an ES256 key (JWT_SIGNING_ALG) generated
 *    once into DATA_DIR/signing-keys.json by the app itself (src/auth/keys/key-source.ts);
 *  - HTTPS: a self-signed localhost certificate in DATA_DIR/tls/;
 *  - a first user `admin` with every scope, its generated password in DATA_DIR/admin-password.
 * No secret is printed: the log names the files.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { generate } from 'selfsigned';
import { PasswordHasher } from '../src/auth/passwords';
import { documentScopes } from '../src/auth/scopes';
import type { Config } from '../src/core/config';
import type { Logger } from '../src/core/logger';
import { loadConfigOrExit, observed, start, stopOnSignals } from '../src/main';
import { loadDocument } from '../src/pipeline/compile/document';
import { UsersRepository } from '../src/store/users.repository';

function secretFile(file: string, make: () => string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const value = make();
  fs.writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

async function answersPing(port: number, password?: string): Promise<boolean> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    password,
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    // A probe that found nothing has a closed socket, whose 'close' ioredis waits for anyway
    // (disconnectTimeout, 2 s by default) before it lets the process go.
    disconnectTimeout: 100,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * The Redis for a dev run: REDIS_URL (or a Cluster or Sentinel group), else one answering on
 * `probePort` (6379), else a private
 * redis-server with a generated password (stopped when this process exits).
 */
export async function devRedis(
  config: Config,
  logger: Logger,
  probePort = 6379,
): Promise<{ redis: Config['redis']; stop?: () => void }> {
  if (config.redis.url || config.redis.cluster || config.redis.sentinel) return { redis: config.redis };
  if (await answersPing(probePort)) {
    logger.info(`using the Redis on 127.0.0.1:${probePort}`);
    return { redis: { ...config.redis, url: `redis://127.0.0.1:${probePort}` } };
  }
  if (spawnSync('redis-server', ['--version']).error) {
    process.stderr.write(
      'No Redis found: REDIS_URL is unset, nothing answers on 127.0.0.1:6379 and redis-server is not on PATH.\n' +
        'Start one with `docker compose up -d redis` (set REDIS_URL and REDIS_PASSWORD), or install your\n' +
        "distribution's package (Debian/Ubuntu: `sudo apt-get install redis-server`).\n",
    );
    process.exit(1);
  }
  const dir = path.join(config.dataDir, 'redis');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const password = secretFile(path.join(config.dataDir, 'redis-password'), () => randomBytes(24).toString('base64url'));
  const port = await freePort();
  // The password goes in through stdin (a config file read from "-"), never on the command line.
  const child = spawn(
    'redis-server',
    ['-', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: ['pipe', 'ignore', 'inherit'],
    },
  );
  child.stdin.end(`requirepass "${password}"\n`);
  const stop = () => child.kill();
  process.on('exit', stop);
  for (let i = 0; i < 50 && !(await answersPing(port, password)); i++) await new Promise((r) => setTimeout(r, 100));
  logger.info({ port, passwordFile: path.join(config.dataDir, 'redis-password') }, 'started a private redis-server');
  return { redis: { ...config.redis, url: `redis://127.0.0.1:${port}`, password }, stop };
}

/** A self-signed certificate for localhost under DATA_DIR/tls, made once. */
export async function devTls(config: Config): Promise<Config['tls']> {
  if (config.tls || config.plainHttp) return config.tls;
  const dir = path.join(config.dataDir, 'tls');
  const certFile = path.join(dir, 'localhost-cert.pem');
  const keyFile = path.join(dir, 'localhost-key.pem');
  if (!fs.existsSync(certFile) || !fs.existsSync(keyFile)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      curve: 'P-256',
      notAfterDate: new Date(Date.now() + 365 * 86400_000),
      extensions: [
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    });
    fs.writeFileSync(keyFile, pems.private, { mode: 0o600 });
    fs.writeFileSync(certFile, pems.cert);
  }
  return { certFile, keyFile };
}

async function ensureAdmin(running: Awaited<ReturnType<typeof start>>, config: Config, logger: Logger): Promise<void> {
  const users = new UsersRepository(running.db);
  if ((await users.count()) > 0) return;
  const file = path.join(config.dataDir, 'admin-password');
  const password = secretFile(file, () => randomBytes(18).toString('base64url'));
  await users.create({
    username: 'admin',
    passwordHash: await new PasswordHasher().hash(password),
    scopes: documentScopes(loadDocument()),
  });
  logger.info({ username: 'admin', passwordFile: file }, 'created the first user; its password is in the file');
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  // Traced as the service is when OTEL_* says so (README, Tracing).
  const { logger, tracing } = observed(config);
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const secret =
    config.jwt.secret ??
    new TextEncoder().encode(
      secretFile(path.join(config.dataDir, 'jwt-secret'), () => randomBytes(48).toString('base64url')),
    );
  const { redis } = await devRedis(config, logger);
  const devConfig: Config = { ...config, redis, tls: await devTls(config), jwt: { ...config.jwt, secret } };
  const starting = start(devConfig, logger, { tracing });
  stopOnSignals(starting, devConfig, logger);
  await ensureAdmin(await starting, config, logger);
}

if (require.main === module) {
  void main().catch((err) => {
    process.stderr.write(`specgate dev failed: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
