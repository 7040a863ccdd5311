/**
 * The client's DPoP key (RFC 9449): a fetch wrapper that signs a proof for every request, `/token`
 * included, with `ath` when the request carries `Authorization: DPoP <token>` (§4.2, §7.1), keeps
 * the latest server nonce (`DPoP-Nonce`, §8) and, asked for one (`use_dpop_nonce`), retries once
 * with it. Browser-safe: jose and WebCrypto only.
 */
import { base64url, exportJWK, type GenerateKeyPairResult, generateKeyPair, type JWK, SignJWT } from 'jose';

/** The proof algorithms the service accepts (its `dpop_signing_alg_values_supported`). */
export type DpopAlgorithm = 'ES256' | 'RS256' | 'PS256' | 'EdDSA';

/** Options of the client's DPoP key. */
export interface DpopOptions {
  /** The key pair to prove possession of (non-extractable keys do): generated when not given. */
  keyPair?: GenerateKeyPairResult;
  /** Its algorithm (default ES256). */
  alg?: DpopAlgorithm;
}

type Send = (request: Request) => Promise<Response>;

/** A fetch that signs a DPoP proof for each request sent through `send`. */
export function dpopFetch(send: Send, options: DpopOptions): Send {
  const alg = options.alg ?? 'ES256';
  let key: Promise<{ pair: GenerateKeyPairResult; jwk: JWK }> | undefined;
  const keyOf = () => {
    key ??= (async () => {
      const pair = options.keyPair ?? (await generateKeyPair(alg));
      const { kty, crv, x, y, n, e } = await exportJWK(pair.publicKey);
      // Only the public members (RFC 7638 §3.2 order does not matter here).
      const jwk = Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined));
      return { pair, jwk };
    })();
    return key;
  };
  let nonce: string | undefined;

  async function signed(request: Request): Promise<Request> {
    const { pair, jwk } = await keyOf();
    const url = new URL(request.url);
    const authorization = request.headers.get('authorization');
    const token = authorization?.match(/^DPoP\s+(.+)$/i)?.[1];
    const proof = await new SignJWT({
      jti: crypto.randomUUID(),
      htm: request.method,
      htu: `${url.origin}${url.pathname}`,
      ...(token ? { ath: await sha256(token) } : {}),
      ...(nonce ? { nonce } : {}),
    })
      .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk })
      .setIssuedAt()
      .sign(pair.privateKey);
    request.headers.set('dpop', proof);
    return request;
  }

  return async function withProof(request: Request): Promise<Response> {
    // The body is a stream that sending consumes: keep a copy for the retry with a nonce.
    const retry = request.clone();
    const response = await send(await signed(request));
    const fresh = response.headers.get('dpop-nonce');
    if (fresh) nonce = fresh;
    if (!fresh || !(await asksForNonce(response))) return response;
    await response.body?.cancel();
    return send(await signed(retry));
  };
}

/** Whether the service asks for a nonce: a 401 DPoP challenge or a 400 token error `use_dpop_nonce`. */
async function asksForNonce(response: Response): Promise<boolean> {
  if (response.status === 401)
    return /\bDPoP\b[\s\S]*error="use_dpop_nonce"/.test(response.headers.get('www-authenticate') ?? '');
  if (response.status !== 400) return false;
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as { error?: unknown } | undefined;
  return body?.error === 'use_dpop_nonce';
}

/** `ath`: base64url(SHA-256(ASCII access token)). */
async function sha256(text: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}
