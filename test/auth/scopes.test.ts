/**
 * The scopes a user may hold come from the document's oauth2 security scheme, and the API shows
 * only those.
 */
import { scopedBodies } from '../../src/api/handlers/user-body';
import { documentScopes } from '../../src/auth/scopes';
import type { OpenApiDocument } from '../../src/pipeline/compile/document';

const documentWith = (securitySchemes: Record<string, unknown>): OpenApiDocument => ({
  openapi: '3.1.0',
  info: {},
  paths: {},
  components: { securitySchemes },
});

describe('documentScopes', () => {
  it('lists the scopes of every flow of every oauth2 scheme, in document order, each once', () => {
    const password = {
      type: 'oauth2',
      flows: { password: { tokenUrl: '/token', scopes: { 'b:read': 'B', 'a:write': 'A' } } },
    };
    const client = {
      type: 'oauth2',
      flows: { clientCredentials: { tokenUrl: '/token', scopes: { 'a:write': 'A', 'c:admin': 'C' } } },
    };
    const doc = documentWith({
      metricsToken: { type: 'http', scheme: 'bearer' },
      password,
      client: { $ref: '#/components/x-client' },
    });
    doc.components!['x-client'] = client;
    expect(documentScopes(doc)).toEqual(['b:read', 'a:write', 'c:admin']);
  });

  it('is empty for a document without an oauth2 scheme', () => {
    expect(documentScopes(documentWith({ key: { type: 'apiKey', in: 'header', name: 'X-Key' } }))).toEqual([]);
    expect(documentScopes({ openapi: '3.1.0', info: {}, paths: {} })).toEqual([]);
  });
});

it('shows a stored scope only while the document declares it', () => {
  const doc = documentWith({
    oauth2: { type: 'oauth2', flows: { password: { tokenUrl: '/token', scopes: { 'items:read': 'R' } } } },
  });
  const { userBody, scopeList } = scopedBodies(doc);
  const user = {
    id: 'u',
    username: 'ann',
    passwordHash: 'h',
    scopes: ['items:read', 'retired:scope'],
    createdAt: new Date(0),
    disabledAt: null,
  };
  expect(userBody(user).scopes).toEqual(['items:read']);
  expect(scopeList(''.split(' '))).toEqual([]);
});
