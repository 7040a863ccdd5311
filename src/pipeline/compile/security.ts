/**
 * Security requirements compiled once per operation (OpenAPI 3.1 §4.8.30): a list of alternatives
 * (OR), each naming schemes that must all authenticate (AND) and the scopes they must hold.
 */
import type { Principal, SecurityScheme } from '../../auth/principal';
import { ApiError, isUnavailable } from '../../core/errors';
import type { SecurityRequirement } from './document';

export interface SecurityPlan {
  /** No requirement, or an empty one: anyone may call. */
  public: boolean;
  /** The distinct schemes the requirements name, in order of first mention. */
  schemes: SecurityScheme[];
  /** Their names in the document's securitySchemes, index for index. */
  names: string[];
  /** Each alternative: indices into `schemes`, and the scopes needed. */
  requirements: { schemes: number[]; scopes: string[] }[];
}

/** Compiles an operation's requirements; an unknown scheme name fails at start-up. */
export function compileSecurity(
  requirements: SecurityRequirement[],
  known: Record<string, SecurityScheme>,
  where: string,
): SecurityPlan {
  const names: string[] = [];
  const schemes: SecurityScheme[] = [];
  const compiled = requirements.map((requirement) => ({
    schemes: Object.keys(requirement).map((name) => {
      const scheme = known[name];
      if (!scheme) throw new Error(`${where}: no security scheme handler for "${name}"`);
      if (!names.includes(name)) {
        names.push(name);
        schemes.push(scheme);
      }
      return names.indexOf(name);
    }),
    scopes: Object.values(requirement).flat(),
  }));
  return {
    public: compiled.length === 0 || compiled.some((r) => r.schemes.length === 0),
    schemes,
    names,
    requirements: compiled,
  };
}

/** Whether every scheme of some alternative holds credentials (not an error). */
export function anyAuthenticated(plan: SecurityPlan, credentials: readonly (Principal | Error)[]): boolean {
  return plan.requirements.some((r) => r.schemes.every((i) => !(credentials[i] instanceof Error)));
}

/**
 * The first alternative whose schemes all authenticated and whose principals hold its scopes
 * (RFC 6750 §3.1): its first principal; else the scopes the first authenticated alternative lacked.
 */
export function firstSatisfied(
  plan: SecurityPlan,
  credentials: readonly (Principal | Error)[],
): { principal: Principal } | { shortfall: string[] } {
  let shortfall: string[] | undefined;
  for (const requirement of plan.requirements) {
    const first = requirement.schemes[0];
    if (requirement.schemes.length === 1 && first !== undefined) {
      // The common case, without the arrays below: one scheme, its scopes.
      const only = credentials[first];
      if (only === undefined || only instanceof Error) continue;
      if (requirement.scopes.every((s) => only.scopes.includes(s))) return { principal: only };
      shortfall ??= requirement.scopes;
      continue;
    }
    const principals = requirement.schemes.map((i) => credentials[i]);
    if (!principals.every((p): p is Principal => p !== undefined && !(p instanceof Error))) continue;
    const [principal] = principals;
    const held = principals.flatMap((p) => p.scopes);
    if (principal && requirement.scopes.every((s) => held.includes(s))) return { principal };
    shortfall ??= requirement.scopes;
  }
  return { shortfall: shortfall ?? [] };
}

/** Fail closed with the most telling failure: a bug, then a store outage (503), a bad token, no token. */
export function strongestFailure(credentials: readonly (Principal | Error)[]): Error {
  const rank = (e: Error) =>
    !(e instanceof ApiError) && !isUnavailable(e)
      ? 4
      : isUnavailable(e)
        ? 3
        : // Any 401 but "no credentials": invalid_token, invalid_dpop_proof, use_dpop_nonce.
          (e as ApiError).code !== 'unauthorized'
          ? 2
          : 1;
  const failures = credentials.filter((c): c is Error => c instanceof Error).sort((a, b) => rank(b) - rank(a));
  return failures[0] ?? new ApiError('unauthorized');
}
