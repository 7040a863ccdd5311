/**
 * The scopes a user may hold: exactly those the document's OAuth2 security scheme declares. The
 * API (`Scope` in the generated types, a schema that test/spec/document.test.ts holds equal to this
 * list), `npm run user:create` and the dev runner's first user all read them from here.
 */
import { type OpenApiDocument, resolveRef } from '../pipeline/compile/document';

interface OAuth2Scheme {
  type: 'oauth2';
  flows?: Record<string, { scopes?: Record<string, string> } | undefined>;
}

const isOAuth2 = (scheme: unknown): scheme is OAuth2Scheme => (scheme as { type?: unknown } | null)?.type === 'oauth2';

/** The scopes of every flow of the document's `oauth2` security schemes, in document order, each once. */
export function documentScopes(document: OpenApiDocument): string[] {
  const schemes = Object.values(document.components?.securitySchemes ?? {})
    .map((s) => resolveRef(document, s))
    .filter(isOAuth2);
  return [
    ...new Set(schemes.flatMap((s) => Object.values(s.flows ?? {}).flatMap((flow) => Object.keys(flow?.scopes ?? {})))),
  ];
}

/** Each scope's description in the document's `oauth2` flows (the first flow that describes it): the consent page's words. */
export function documentScopeWords(document: OpenApiDocument): Record<string, string> {
  const words: Record<string, string> = {};
  for (const scheme of Object.values(document.components?.securitySchemes ?? {}).map((s) => resolveRef(document, s)))
    if (isOAuth2(scheme))
      for (const flow of Object.values(scheme.flows ?? {}))
        for (const [scope, text] of Object.entries(flow?.scopes ?? {})) words[scope] ??= text;
  return words;
}
