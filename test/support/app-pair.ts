/**
 * Two app instances on one private redis-server and one database, for the tests of what one
 * instance's change does on the other's very next request. The database is PostgreSQL (a private
 * schema, dropped by stop()) when TEST_DATABASE_URL is set, else one PGlite both share.
 */
import { type Database, openDatabase } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { startTestApp, type TestApp } from './app';
import { testDatabaseUrl, uniqueSchemaName } from './database';
import { type RedisServer, startRedis } from './redis-server';

export interface AppPair {
  a: TestApp;
  b: TestApp;
  redis: RedisServer;
  db: Database;
  stop(): Promise<void>;
}

export async function startAppPair(): Promise<AppPair> {
  const schema = testDatabaseUrl() ? uniqueSchemaName() : undefined;
  const redis = await startRedis({ password: 'shared-redis' });
  const db = await openDatabase(schema ? { url: testDatabaseUrl(), schema } : {});
  await migrate(db);
  const a = await startTestApp({ redisServer: redis, db });
  const b = await startTestApp({ redisServer: redis, db });
  return {
    a,
    b,
    redis,
    db,
    async stop() {
      await a.stop();
      await b.stop();
      if (schema) await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.close();
      await redis.stop();
    },
  };
}
