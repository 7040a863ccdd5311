/**
 * The `RateLimit-Policy` and `RateLimit` response fields of draft-ietf-httpapi-ratelimit-headers
 * (-10/-11): each a Structured Fields List (RFC 9651) of items named by a quoted policy id.
 *
 *   RateLimit-Policy: "pair";q=10;w=900, "ip";q=50;w=900
 *   RateLimit: "pair";r=0;t=540, "ip";r=41;t=540
 *
 * `q` is the quota and `w` the window in seconds of a policy; `r` is the quota left and `t` the
 * seconds until it is restored.
 */

/** One quota policy and its current state. */
export interface RateLimitState {
  /** Policy id: a short lower-case name (`[a-z0-9-]+`), so it needs no escaping as an sf-string. */
  policy: string;
  quota: number;
  windowSeconds: number;
  remaining: number;
  resetSeconds: number;
}

/** The two fields for `states`, with lower-case names as the pipeline writes headers. */
export function rateLimitFields(states: readonly RateLimitState[]): { 'ratelimit-policy': string; ratelimit: string } {
  const item = (s: RateLimitState, params: Record<string, number>) =>
    `"${s.policy}"${Object.entries(params)
      .map(([k, v]) => `;${k}=${Math.max(0, Math.floor(v))}`)
      .join('')}`;
  return {
    'ratelimit-policy': states.map((s) => item(s, { q: s.quota, w: s.windowSeconds })).join(', '),
    ratelimit: states.map((s) => item(s, { r: s.remaining, t: s.resetSeconds })).join(', '),
  };
}
