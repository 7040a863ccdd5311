/**
 * `npm run example:spa`: builds and serves the example single-page app, and says how to register
 * it with specgate.
 *
 *   SPECGATE_URL=http://localhost:3000 SPA_CLIENT_ID=<client id> npm run example:spa
 *
 * SPA_PORT (default 5173) and SPA_SCOPE (space-separated, default items:read) are optional.
 */
import { startSpaServer } from './server';

const apiUrl = process.env.SPECGATE_URL ?? 'http://localhost:3000';
const port = Number(process.env.SPA_PORT ?? 5173);
const scope = process.env.SPA_SCOPE ?? 'items:read';
const origin = `http://127.0.0.1:${port}`;

const howTo = `To sign in from ${origin}, specgate needs:
  1. a public client with this app's page as its redirect URI:
       npm run client:create -- --public --name "Example SPA" --grants "authorization_code refresh_token" --scopes "${scope}" --redirect-uris "${origin}/"
     (it prints {"client_id": "..."}: run this script again with SPA_CLIENT_ID set to it);
  2. the app's origin allowed by CORS: start specgate with CORS_ORIGINS=${origin} (comma-separated with any others).
`;

async function main(): Promise<void> {
  const clientId = process.env.SPA_CLIENT_ID;
  if (!clientId) {
    process.stderr.write(`Set SPA_CLIENT_ID.\n\n${howTo}`);
    process.exit(2);
  }
  const app = await startSpaServer({ apiUrl, clientId, scope, port });
  process.stdout.write(`The example app is at ${app.origin}/ (specgate at ${apiUrl}, client ${clientId}).\n\n${howTo}`);
  const stop = () => void app.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`example:spa failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
