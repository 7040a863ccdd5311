import { ConfigError, loadConfig } from '../../src/core/config';

/** The problems loadConfig reports for `env` (none when it loads): every one, as the service lists them. */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}
