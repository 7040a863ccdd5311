/**
 * Registering OAuth clients through /v1/clients and presenting them at /token, for the tests of
 * what a registration allows (RFC 6749 §2.3.1).
 */
import type { client } from './contract';

type Api = ReturnType<typeof client>;

/** A client as registered: a public one has no secret. */
export interface Registered {
  client_id: string;
  client_secret?: string;
}

/** Registers a client with `json` over the defaults (confidential, password and refresh grants, items:read). */
export async function registerClient(api: Api, adminToken: string, json: Record<string, unknown> = {}) {
  const res = await api.post('/v1/clients', {
    token: adminToken,
    json: { name: 'app', grant_types: ['password', 'refresh_token'], scopes: ['items:read'], ...json },
  });
  if (res.status !== 201) throw new Error(`registration answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as Registered;
}

/** PATCHes a client as an administrator. */
export function patchClient(api: Api, adminToken: string, clientId: string, json: Record<string, unknown>) {
  return api.request('PATCH', `/v1/clients/${clientId}`, {
    token: adminToken,
    json,
    headers: { 'content-type': 'application/merge-patch+json' },
  });
}

/** `client_secret_basic` credentials (RFC 6749 §2.3.1: each part form-urlencoded). */
export const basicAuth = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A token request presenting `c` by Basic (`viaBasic`) or in the form (`client_secret_post`, or `client_id` alone). */
export function tokenRequest(api: Api, form: Record<string, string>, c?: Registered, viaBasic = false) {
  if (c && viaBasic && c.client_secret !== undefined)
    return api.post('/token', { form, headers: { authorization: basicAuth(c.client_id, c.client_secret) } });
  const credentials = c
    ? { client_id: c.client_id, ...(c.client_secret === undefined ? {} : { client_secret: c.client_secret }) }
    : {};
  return api.post('/token', { form: { ...form, ...credentials } });
}
