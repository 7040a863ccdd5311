/**
 * Without an endpoint, tracing costs nothing: the service's modules, its app and its logger are
 * built without loading the OpenTelemetry SDK, its exporters, its context manager or the semantic
 * conventions (the API package alone is prom-client's, loaded before tracing existed). A process of
 * its own, so that nothing another test loaded counts.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../..');

/** The @opentelemetry packages a fresh process has loaded after building what main.ts builds for `env`. */
async function loadedWith(env: Record<string, string>): Promise<string[]> {
  const script = `
    const { loadConfig } = require('./src/core/config');
    const { observed } = require('./src/main');
    require('./src/app');
    observed(loadConfig(${JSON.stringify(env)}));
    const loaded = Object.keys(require.cache)
      .map((file) => /node_modules\\/(@opentelemetry\\/[^/]+)\\//.exec(file)?.[1])
      .filter(Boolean);
    process.stdout.write(JSON.stringify([...new Set(loaded)].sort()));
    process.exit(0);
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '' },
  });
  return JSON.parse(stdout) as string[];
}

it('loads no OpenTelemetry SDK module when no endpoint is set', async () => {
  expect(await loadedWith({ LOG_LEVEL: 'silent' })).toEqual(['@opentelemetry/api']);
});

it('loads the SDK and the configured exporter when there is an endpoint', async () => {
  const loaded = await loadedWith({
    LOG_LEVEL: 'silent',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  });
  expect(loaded).toEqual(
    expect.arrayContaining([
      '@opentelemetry/sdk-trace',
      '@opentelemetry/context-async-hooks',
      '@opentelemetry/exporter-trace-otlp-http',
    ]),
  );
  expect(loaded).not.toContain('@opentelemetry/exporter-trace-otlp-proto');
});
