/**
 * Reads a `WWW-Authenticate` header as a client does (RFC 9110 §11.6.1): a list of challenges,
 * each a scheme and its auth-params. Tests ask for one scheme's parameters, so they hold whatever
 * other schemes the operation also accepts.
 */
const PART = /\s*(?:([A-Za-z][\w!#$%&'*+.^`|~-]*)=("(?:[^"\\]|\\.)*"|[^\s,]*)|([A-Za-z][\w!#$%&'*+.^`|~-]*))\s*,?/gy;

/** Every challenge of the header, by scheme name (lower case); its params unquoted. */
export function parseChallenges(header: string | undefined): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  PART.lastIndex = 0;
  for (let m = PART.exec(header ?? ''); m && m[0] !== ''; m = PART.exec(header ?? '')) {
    if (m[3]) {
      current = {};
      out.set(m[3].toLowerCase(), current);
    } else if (current && m[1]) {
      const raw = m[2] ?? '';
      current[m[1].toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    }
  }
  return out;
}

/** The params of the `scheme` challenge, or undefined when the header has none. */
export function challengeOf(header: string | undefined, scheme: string): Record<string, string> | undefined {
  return parseChallenges(header).get(scheme.toLowerCase());
}

/** What a Bearer challenge for a request without credentials holds (RFC 6750 §3.1, RFC 9728 §5.1). */
export function noCredentialsChallenge(publicUrl: string): Record<string, string> {
  return { realm: 'specgate', resource_metadata: `${publicUrl}/.well-known/oauth-protected-resource` };
}
