/**
 * What the compiled service begins before it loads its modules (main.ts imports this first):
 * - node's on-disk compile cache (node:module enableCompileCache): a restart loads the V8 code of
 *   its modules from the cache instead of compiling them from source again, about a third of the
 *   time spent loading them. It lives in os.tmpdir()/node-compile-cache, or where NODE_COMPILE_CACHE
 *   says; NODE_DISABLE_COMPILE_CACHE=1 turns it off. Node checks each entry against its source, so
 *   an upgrade never runs stale code, and a directory that cannot be written (a read-only file
 *   system) leaves the service starting as it did without the cache.
 * - the thread that weighs JWT_SECRET (./secret-strength-thread), which loads zxcvbn's
 *   dictionaries while this thread loads the service; the config hands it the secret, or ends it
 *   when there is none to weigh (outside production).
 */
import module from 'node:module';
import path from 'node:path';
import { prestartSecretThread } from './secret-strength-thread';

// Only when this process runs the compiled main.js (`npm start`, the image, cluster workers): not
// for scripts and tests that import main.ts, nor under tsx, which caches its own way.
if (require.main?.filename === path.join(__dirname, '..', 'main.js')) {
  module.enableCompileCache();
  prestartSecretThread();
}
