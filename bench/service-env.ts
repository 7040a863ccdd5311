/**
 * The configuration the bench gives the service, and the subjects that must agree with it: production,
 * plain HTTP, the bench's private Redis and HS256 key (servers.ts startBenchRedis), one issuer.
 */

/** The issuer (PUBLIC_URL, which production requires) every subject signs and checks tokens for. */
export const BENCH_ISSUER = 'https://specgate.bench.localhost';

/**
 * For a server process of bench:http, whose environment carries the BENCH_* variables, and the
 * OpenTelemetry variables (OTEL_*) of a traced scenario, read by the config as main.ts's are.
 */
export function benchConfigEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  return {
    ...Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('OTEL_'))),
    NODE_ENV: 'production',
    PLAIN_HTTP: 'true',
    REDIS_URL: env.BENCH_REDIS_URL,
    REDIS_PASSWORD: env.BENCH_REDIS_AUTH,
    JWT_SECRET: env.BENCH_JWT_KEY,
    LOG_LEVEL: 'silent',
    PUBLIC_URL: BENCH_ISSUER,
  };
}

/**
 * For the service's own entry point (main.ts) started by a bench, from startBenchRedis's environment:
 * the same at the service's default log level, listening on 127.0.0.1, stopping without a drain (no
 * load balancer to wait for).
 */
export function mainProcessEnv(redisEnv: Record<string, string>): Record<string, string> {
  const { LOG_LEVEL: _silent, ...config } = benchConfigEnv(redisEnv);
  const defined = Object.entries(config).filter((e): e is [string, string] => e[1] !== undefined);
  return { ...Object.fromEntries(defined), HOST: '127.0.0.1', SHUTDOWN_DRAIN_SECONDS: '0' };
}
