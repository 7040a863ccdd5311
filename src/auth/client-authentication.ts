/**
 * Client authentication at the OAuth endpoints (RFC 6749 §2.3.1): `client_secret_basic` (the
 * id and secret, each form-urlencoded, in `Authorization: Basic`) or `client_secret_post`
 * (`client_id` and `client_secret` in the form); never both (§2.3: one method per request).
 *
 * Constant work by construction: an unknown, disabled or public client costs one argon2
 * verification against a dummy hash, like a right one. Every attempt is counted first by the
 * login throttle, under the client id in a namespace no username can enter (`client:` — a colon
 * is not a username character), so parallel guesses cannot outrun the limit and a client and a
 * user of the same name never share a bucket.
 */
import { OAuthError } from '../core/errors';
import type { ClientRecord, ClientsRepository } from '../store/clients.repository';
import type { LoginThrottle } from './login-throttle';
import type { PasswordHasher } from './passwords';

/** The credentials a request presents, and how. */
export interface PresentedClient {
  clientId: string;
  secret: string;
  method: 'client_secret_basic' | 'client_secret_post';
}

/** What a request carries that may authenticate a client. */
export interface ClientCredentialSources {
  /** The Authorization header, if any. */
  authorization: string | undefined;
  /** The form's `client_id` and `client_secret`. */
  form: { client_id?: string; client_secret?: string };
}

const REALM = 'specgate';
const BASIC_CHALLENGE = { 'www-authenticate': `Basic realm="${REALM}"` };

/** The throttle's key for a client: a namespace of its own (see the module comment). */
export const clientThrottleName = (clientId: string) => `client:${clientId}`;

/** `invalid_client`: 401 with a Basic challenge when Basic was used, else 400 (RFC 6749 §5.2). */
export function invalidClient(method: PresentedClient['method'] | undefined): OAuthError {
  const description = 'Client authentication failed.';
  return method === 'client_secret_basic'
    ? new OAuthError('invalid_client', description, BASIC_CHALLENGE)
    : new OAuthError('invalid_client', description, undefined, 400);
}

/**
 * The client credentials a request presents, or undefined when it presents none (a bare
 * `client_id` is an identifier, not a credential). Throws `invalid_request` for two methods at
 * once or two different client ids, and `invalid_client` for Basic credentials that do not parse.
 */
export function presentedClient(sources: ClientCredentialSources): PresentedClient | undefined {
  const { authorization, form } = sources;
  const basic = authorization !== undefined && /^basic(\s|$)/i.test(authorization);
  if (basic) {
    if (form.client_secret !== undefined)
      throw new OAuthError('invalid_request', 'Use one client authentication method, not two.');
    const parsed = parseBasic(authorization.slice(5).trim());
    if (!parsed) throw invalidClient('client_secret_basic');
    if (form.client_id !== undefined && form.client_id !== parsed.clientId)
      throw new OAuthError('invalid_request', 'client_id differs from the authenticated client.');
    return { ...parsed, method: 'client_secret_basic' };
  }
  if (form.client_secret === undefined) return undefined;
  if (form.client_id === undefined) throw new OAuthError('invalid_request', 'client_secret needs a client_id.');
  return { clientId: form.client_id, secret: form.client_secret, method: 'client_secret_post' };
}

/** `base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1), or undefined. */
function parseBasic(token: string): { clientId: string; secret: string } | undefined {
  if (!/^[A-Za-z0-9+/]+=*$/.test(token)) return undefined;
  const text = Buffer.from(token, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 1) return undefined;
  try {
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { clientId: decode(text.slice(0, colon)), secret: decode(text.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

/** What {@link authenticateClient} needs. */
export interface ClientAuthDeps {
  clients: ClientsRepository;
  passwords: PasswordHasher;
  throttle: LoginThrottle;
}

/**
 * The enabled confidential client whose secret this is; else `invalid_client` after the same
 * work for every failure. 429 past the throttle's limits, 503 when a store is down.
 */
export async function authenticateClient(
  deps: ClientAuthDeps,
  presented: PresentedClient,
  ip: string,
): Promise<ClientRecord> {
  const attempt = await deps.throttle.reserve(clientThrottleName(presented.clientId), ip);
  const client = await deps.clients.findById(presented.clientId).catch(async (err: unknown) => {
    // No verdict (the database is down): the attempt must not count as a failure.
    await attempt.released().catch(() => undefined);
    throw err;
  });
  const usable = client && client.secretHash !== null && client.disabledAt === null ? client : undefined;
  const valid = usable?.secretHash
    ? await deps.passwords.verify(usable.secretHash, presented.secret)
    : await deps.passwords.verifyDummy(presented.secret);
  if (!usable || !valid) {
    await attempt.failed().catch(() => undefined);
    throw invalidClient(presented.method);
  }
  await attempt.succeeded();
  return usable;
}
