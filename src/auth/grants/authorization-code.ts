/**
 * The authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.5–4.6): the client that
 * was issued the code, the same redirect URI, and the verifier whose S256 is the code's challenge
 * exchange a code once for a new session. A code presented twice ends the session the first
 * exchange opened (§4.1.2, RFC 9700 §4.2.4), whichever of the two arrives first.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { OAuthError } from '../../core/errors';
import { invalidClient } from '../client-authentication';
import type { CodeGrant } from '../codes/code-grant';
import type { Grant, GrantDeps, TokenRequest } from './grant';
import { clientScopes, type RequestingClient, requestingClient, requireGrant } from './requesting-client';
import { openSession } from './session-opening';

const INVALID = 'The authorization code is invalid, expired, already used, or was issued for another request.';

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export function authorizationCodeGrant(deps: GrantDeps): Grant {
  const { users, sessions, codes, logger } = deps;

  /** The request's client, registered and allowed the grant (§4.1.3: authenticated if confidential). */
  async function codeClient(req: TokenRequest): Promise<RequestingClient> {
    const requester = await requestingClient(deps, req);
    if (!requester.registered) {
      // §4.1.3: client_id is required of a client that does not authenticate.
      if (req.body.client_id === undefined) throw new OAuthError('invalid_request', 'client_id is required.');
      // Codes are issued to registered clients only: a label is an unknown client here (§5.2).
      throw invalidClient(requester.method);
    }
    requireGrant(requester, 'authorization_code', req.jkt);
    return requester;
  }

  /** The code's grant when this request may redeem it: same client, same redirect URI, PKCE. */
  async function checkedGrant(req: TokenRequest, client: RequestingClient, code: string): Promise<CodeGrant> {
    const grant = await codes.find(code);
    if (!grant || grant.clientId !== client.id) throw new OAuthError('invalid_grant', INVALID);
    // §4.1.3: identical to the authorization request's (RFC 9700 §4.1.3: exact string comparison).
    if (grant.redirectUri !== req.body.redirect_uri) throw new OAuthError('invalid_grant', INVALID);
    if (!verifierMatches(req.body.code_verifier ?? '', grant.codeChallenge))
      throw new OAuthError('invalid_grant', 'The code_verifier does not match the code_challenge.');
    return grant;
  }

  return async (req) => {
    const { code, redirect_uri, code_verifier } = req.body;
    if (code === undefined || redirect_uri === undefined || code_verifier === undefined)
      throw new OAuthError('invalid_request', 'code, redirect_uri and code_verifier are required.');
    if (!VERIFIER.test(code_verifier))
      throw new OAuthError('invalid_request', 'code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1).');
    const client = await codeClient(req);
    const grant = await checkedGrant(req, client, code);
    // Read before the code is spent: a database outage answers 503 and the client may retry it.
    const user = await users.findById(grant.sub);
    if (!user || user.disabledAt) throw new OAuthError('invalid_grant', INVALID);
    const sid = randomUUID();
    const redemption = await codes.redeem(code, sid);
    if (redemption.kind === 'reused') {
      // §4.1.2: one of the two holders stole it; end what the first exchange was given.
      await sessions.end(redemption.sid, redemption.sub);
      logger.warn(
        { requestId: req.requestId, ip: req.ip, sub: redemption.sub, sid: redemption.sid, outcome: 'code_reuse' },
        'authorization code reused: its session ended',
      );
    }
    if (redemption.kind !== 'redeemed') throw new OAuthError('invalid_grant', INVALID);
    const scopes = clientScopes(
      client,
      grant.scopes.filter((s) => user.scopes.includes(s)),
      false,
    );
    const result = await openSession(deps, req, {
      sub: user.id,
      scopes,
      clientId: client.id,
      grant: 'authorization_code',
      sid,
      signInSid: grant.signInSid,
    });
    // A reuse that came before our session existed could not end it: look now that it does.
    const standing = await codes.redeemedStill(code, sid).catch(async (err: unknown) => {
      await sessions.end(sid, user.id).catch(() => undefined);
      throw err;
    });
    if (!standing) {
      await sessions.end(sid, user.id);
      throw new OAuthError('invalid_grant', INVALID);
    }
    return result;
  };
}

/** RFC 7636 §4.6: BASE64URL(SHA-256(ASCII(verifier))) equals the challenge, compared in constant time. */
function verifierMatches(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
