/**
 * The `clients` tag (scope `clients:admin`): the OAuth client registry. A secret is made here and
 * shown once, in the answer that made it; only its argon2id hash is stored. Disabling or deleting
 * a client, or taking client_credentials from its grants, ends every session of its own tokens
 * before the answer: a client-credentials token's `sub` is the client id, so its sessions are
 * indexed under it like a user's.
 */
import { newClientSecret } from '../../auth/client-secrets';
import { documentScopes } from '../../auth/scopes';
import { ApiError } from '../../core/errors';
import { CANONICAL_UUID } from '../../core/uuid';
import type { ClientPosition, ClientRecord } from '../../store/clients.repository';
import { callerOf } from '../caller';
import { type CursorSeal, foreignCursor } from '../cursor';
import type { HandlerDeps } from '../deps';
import type { Handler } from '../types';
import { checkRedirectUris, clientBody } from './client-body';

const LISTING = JSON.stringify(['listClients']);
/** A position as the repository writes it: UTC timestamp with microseconds, no zone. */
const POSITION_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

/** The opaque cursor of a position in the clients listing. */
export function encodeClientCursor(seal: CursorSeal, position: ClientPosition): string {
  return seal.seal(LISTING, position);
}

/** The position of a cursor this service issued for the clients listing, or undefined. */
export function decodeClientCursor(seal: CursorSeal, cursor: string): ClientPosition | undefined {
  const parsed = seal.open(LISTING, cursor);
  if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
  const [at, id] = parsed as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string') return undefined;
  return POSITION_TIME.test(at) && CANONICAL_UUID.test(id) ? [at, id] : undefined;
}

const notFound = (clientId: string) => new ApiError('not_found', { detail: `No client ${clientId}.` });

export function clientsHandlers(deps: HandlerDeps) {
  const { clients, passwords, sessions, logger, cursors } = deps;
  const declared = new Set(documentScopes(deps.document));
  const body = (client: ClientRecord) => clientBody(client, declared);

  /** The representation with a secret made now (stored as a hash before this returns). */
  function withSecret(client: ClientRecord, secret: string | undefined) {
    return secret === undefined ? body(client) : { ...body(client), client_secret: secret };
  }

  const listClients: Handler<'listClients'> = async (req) => {
    const { cursor } = req.query;
    const after = cursor === undefined ? undefined : decodeClientCursor(cursors, cursor);
    if (cursor !== undefined && after === undefined) throw foreignCursor();
    const page = await clients.list({ after, limit: req.query.limit ?? 20 });
    const next = page.next === null ? null : encodeClientCursor(cursors, page.next);
    return { status: 200, body: { clients: page.clients.map(body), next_cursor: next } };
  };

  const createClient: Handler<'createClient'> = async (req) => {
    const input = req.body;
    checkRedirectUris(input.redirect_uris);
    const secret = input.public === true ? undefined : newClientSecret();
    const client = await clients.create({
      name: input.name,
      secretHash: secret === undefined ? null : await passwords.hash(secret),
      grantTypes: input.grant_types,
      scopes: input.scopes,
      redirectUris: input.redirect_uris ?? [],
      dpopBoundAccessTokens: input.dpop_bound_access_tokens ?? false,
      firstParty: input.first_party ?? false,
    });
    if (!client) throw new ApiError('conflict', { detail: 'The client registry is full.' });
    logger.info({ requestId: req.requestId, by: callerOf(req).userId, created: client.id }, 'client registered');
    return {
      status: 201,
      headers: { location: `${req.base}/v1/clients/${client.id}` },
      body: withSecret(client, secret),
    };
  };

  const getClient: Handler<'getClient'> = async (req) => {
    const client = await clients.findById(req.params.clientId);
    if (!client) throw notFound(req.params.clientId);
    return { status: 200, body: body(client) };
  };

  const updateClient: Handler<'updateClient'> = async (req) => {
    const { clientId } = req.params;
    const patch = req.body;
    checkRedirectUris(patch.redirect_uris);
    const client = await clients.update(clientId, {
      name: patch.name,
      grantTypes: patch.grant_types,
      scopes: patch.scopes,
      redirectUris: patch.redirect_uris,
      dpopBoundAccessTokens: patch.dpop_bound_access_tokens,
      firstParty: patch.first_party,
      disabled: patch.disabled,
    });
    if (!client) throw notFound(clientId);
    // Every time disabled: true comes, even for a client already disabled: a repeat after a 503
    // (saved, sessions not yet ended) ends what is left.
    // A client no longer allowed client_credentials loses its own tokens likewise (whether it had
    // the grant before or not: a repeat ends what is left). Users' sessions through the client stay;
    // their next refresh meets the grant check (RFC 6749 §5.2 unauthorized_client).
    const lostOwnGrant = patch.grant_types !== undefined && !client.grantTypes.includes('client_credentials');
    const ended = patch.disabled === true || lostOwnGrant ? await sessions.endAll(client.id) : 0;
    // Scopes taken away leave the client's live tokens at once, as for a user's (session-narrowing.ts).
    const narrowed = patch.scopes === undefined ? 0 : await sessions.narrowAll(client.id, client.scopes);
    logger.info(
      {
        requestId: req.requestId,
        by: callerOf(req).userId,
        target: client.id,
        sessionsEnded: ended,
        sessionsNarrowed: narrowed,
      },
      'client changed by an administrator',
    );
    return { status: 200, body: body(client) };
  };

  const deleteClient: Handler<'deleteClient'> = async (req) => {
    const { clientId } = req.params;
    const deleted = await clients.delete(clientId);
    // A repeated request after a 503 (deleted, sessions not yet ended) ends what is left.
    const ended = await sessions.endAll(clientId.toLowerCase());
    if (!deleted) throw notFound(clientId);
    logger.info(
      { requestId: req.requestId, by: callerOf(req).userId, target: clientId, sessionsEnded: ended },
      'client deleted by an administrator',
    );
    return { status: 204 };
  };

  const rotateClientSecret: Handler<'rotateClientSecret'> = async (req) => {
    const secret = newClientSecret();
    const client = await clients.updateSecretHash(req.params.clientId, await passwords.hash(secret));
    if (!client) throw notFound(req.params.clientId);
    logger.info({ requestId: req.requestId, by: callerOf(req).userId, target: client.id }, 'client secret rotated');
    return { status: 200, body: withSecret(client, secret) };
  };

  return { listClients, createClient, getClient, updateClient, deleteClient, rotateClientSecret };
}
