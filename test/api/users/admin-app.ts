/**
 * The app for the administration tests: started as usual, with one administrator (`root-admin`,
 * users:admin only) logged in.
 */

import { startTestApp, type TestApp, type TestAppOptions } from '../../support/app';
import { client } from '../../support/contract';

export interface AdminApp {
  t: TestApp;
  api: ReturnType<typeof client>;
  /** An access token of the administrator. */
  admin: string;
  adminId: string;
}

/** Starts the app and logs the administrator in. */
export async function startAdminApp(opts?: TestAppOptions): Promise<AdminApp> {
  const t = await startTestApp(opts);
  const api = client(t.url);
  const adminId = await t.createUser('root-admin', 'root-admin-password', ['users:admin']);
  return { t, api, adminId, admin: await api.login('root-admin', 'root-admin-password') };
}
