/**
 * The typed client in a few lines: log in, create an item, read it, list items, log out.
 *
 *   SPECGATE_URL=http://localhost:3000 SPECGATE_USERNAME=alice SPECGATE_PASSWORD=… npx tsx examples/quickstart.ts
 *
 * The user needs the items:read and items:write scopes (`npm run user:create`).
 */
import { createSpecgateClient, isProblem, SpecgateError } from 'specgate/client';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set ${name}.`);
  return value;
}

async function main(): Promise<void> {
  const api = createSpecgateClient({ baseUrl: env('SPECGATE_URL'), clientId: 'quickstart' });

  const tokens = await api.login(env('SPECGATE_USERNAME'), env('SPECGATE_PASSWORD'));
  console.log(`logged in, scopes: ${tokens.scope}`);

  const created = await api.POST('/v1/items', {
    body: { name: 'Espresso cup', category: 'kitchen', price_cents: 1250, tags: ['porcelain'] },
  });
  if (created.error) throw new Error(`create failed: ${created.error.code}`);
  console.log(`created item ${created.data.id} (version ${created.data.version})`);

  const read = await api.GET('/v1/items/{itemId}', { params: { path: { itemId: created.data.id } } });
  if (read.error) throw new Error(`read failed: ${isProblem(read.error) ? read.error.code : read.response.status}`);
  console.log(`read item ${read.data.id}: ${read.data.name}, ${read.data.price_cents} cents`);

  const page = await api.GET('/v1/items', { params: { query: { category: 'kitchen', limit: 10 } } });
  if (page.error) throw new Error(`list failed: ${page.error.code}`);
  console.log(`listed ${page.data.items.length} kitchen item(s)`);

  await api.logout();
  console.log('logged out');
}

main().catch((err: unknown) => {
  console.error(err instanceof SpecgateError ? `error: ${err.message}` : err);
  process.exitCode = 1;
});
