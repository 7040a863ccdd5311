/**
 * The `metricsToken` scheme: a static bearer token from METRICS_TOKEN, compared in constant time.
 * Without METRICS_TOKEN nothing matches and only `users:admin` access tokens can read /metrics.
 */
import { timingSafeEqual } from 'node:crypto';
import { ApiError } from '../../core/errors';
import { bearerCredentials, type SecurityScheme } from '../principal';

export function metricsTokenScheme(expected: string | undefined): SecurityScheme {
  const want = expected ? Buffer.from(expected) : undefined;
  return {
    verify(request) {
      const header = request.headers.authorization;
      if (!header) throw new ApiError('unauthorized');
      const credentials = bearerCredentials(header);
      // Anything but the exact token, in whatever scheme, is a wrong token (not a missing one).
      const given = Buffer.from('token' in credentials ? credentials.token : header);
      if (!want || given.length !== want.length || !timingSafeEqual(given, want)) {
        throw new ApiError('invalid_token', { detail: 'The access token is invalid.' });
      }
      return { kind: 'client', userId: 'metrics', scopes: [], clientId: 'metrics' };
    },
  };
}
