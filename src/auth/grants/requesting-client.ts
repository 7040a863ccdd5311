/**
 * Which client a token request comes from, and whether it may use the grant: shared by every
 * grant. A `client_id` that names a registered client (RFC 6749 §2) is held to its registration:
 * a confidential client authenticates (§2.3.1, §3.2.1), a public one is identified by its id, a
 * disabled one is refused, and the grant, the scopes and DPoP binding follow what it was allowed.
 * A `client_id` that names no registered client stays a free label recorded in the tokens, so
 * first-party callers that predate the registry keep working.
 */
import { OAuthError } from '../../core/errors';
import type { ClientRecord } from '../../store/clients.repository';
import { authenticateClient, invalidClient, type PresentedClient, presentedClient } from '../client-authentication';
import type { GrantTypeName } from '../client-rules';
import type { GrantDeps, TokenRequest } from './grant';

/** The client of a token request. */
export interface RequestingClient {
  /** The `client_id` the tokens record. */
  id: string;
  /** The registration, or undefined when the id is an unregistered label. */
  registered?: ClientRecord;
  /** How the client authenticated; undefined for a public client or a label. */
  method?: PresentedClient['method'];
}

/**
 * The request's client: authenticated when it presents credentials (`invalid_client` when they
 * fail), else the registered client its `client_id` names (a confidential or disabled one is
 * `invalid_client`), else the label it names, else the deployment's default label.
 */
export async function requestingClient(deps: GrantDeps, req: TokenRequest): Promise<RequestingClient> {
  const presented = presentedClient({ authorization: req.authorization, form: req.body });
  if (presented) {
    const client = await authenticateClient(deps, presented, req.ip);
    return { id: client.id, registered: client, method: presented.method };
  }
  const named = req.body.client_id;
  if (named === undefined) return { id: deps.defaultClientId };
  const client = await deps.clients.findById(named);
  if (!client) return { id: named };
  // §3.2.1: a confidential client authenticates at the token endpoint; say how with the challenge.
  if (client.secretHash !== null || client.disabledAt !== null) throw invalidClient('client_secret_basic');
  return { id: client.id, registered: client };
}

/**
 * Refuses a registered client the grant it was not allowed (`unauthorized_client`, RFC 6749
 * §5.2), or a request without a DPoP proof from a client registered with
 * `dpop_bound_access_tokens` (RFC 9449 §5.2). A label may use the password and refresh grants.
 */
export function requireGrant(client: RequestingClient, grant: GrantTypeName, jkt: string | undefined): void {
  const registered = client.registered;
  if (!registered) return;
  if (!registered.grantTypes.includes(grant))
    throw new OAuthError('unauthorized_client', `This client may not use the ${grant} grant.`);
  if (registered.dpopBoundAccessTokens && jkt === undefined)
    throw new OAuthError('invalid_dpop_proof', 'This client must send a DPoP proof.');
}

/**
 * RFC 6749 §3.3: the scopes a registered client may receive out of `scopes`. Asked-for scopes
 * (`asked`) must all be allowed to the client, else `invalid_scope`; otherwise the ones it is not
 * allowed are dropped. A label receives `scopes` as they are.
 */
export function clientScopes(client: RequestingClient, scopes: string[], asked: boolean): string[] {
  const allowed = client.registered?.scopes;
  if (!allowed) return scopes;
  const refused = scopes.filter((s) => !allowed.includes(s));
  if (asked && refused.length)
    throw new OAuthError('invalid_scope', `Scope(s) not allowed to this client: ${refused.join(' ')}.`);
  return scopes.filter((s) => allowed.includes(s));
}

/**
 * RFC 6749 §6: the client a refresh token was issued to (`sessionClientId`) is the one refreshing
 * it. A confidential client must have authenticated as itself (no credentials: `invalid_client`;
 * another client's: `invalid_grant`); a registered client naming another session's token gets
 * `invalid_grant`. Answers the session's client, whose registration then rules the refresh.
 */
export async function refreshingClient(
  deps: GrantDeps,
  requester: RequestingClient,
  sessionClientId: string,
): Promise<RequestingClient> {
  const issuedTo =
    requester.registered?.id === sessionClientId ? requester.registered : await deps.clients.findById(sessionClientId);
  if (issuedTo && issuedTo.secretHash !== null && requester.method === undefined)
    throw invalidClient('client_secret_basic');
  if (requester.registered && requester.registered.id !== sessionClientId)
    throw new OAuthError('invalid_grant', 'The refresh token was issued to another client.');
  if (!issuedTo) return { id: sessionClientId };
  // Disabled since the login: ended for good, like a failed authentication.
  if (issuedTo.disabledAt !== null) throw invalidClient(requester.method);
  return { id: issuedTo.id, registered: issuedTo, method: requester.method };
}
