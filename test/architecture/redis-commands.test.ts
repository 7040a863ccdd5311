/**
 * Where Redis commands are sent from. The store contract (test/topology/store-contract.ts) proves
 * on one node, a Cluster and a Sentinel group what the modules below do with Redis, and the API
 * suites then run on one node only. A command sent from anywhere else would never meet a Cluster
 * or a Sentinel group in the tests: this check names it, so that it moves into one of these
 * modules or the contract grows to cover it.
 *
 * A command is found by the type checker, not by its name: a call of an ioredis method that sends
 * one (a name in Redis's command table, or multi, pipeline, exec, call), or of the helpers in
 * store/redis.ts that send what they are given. Connecting and disconnecting are not commands.
 */
import path from 'node:path';
import { exists as isRedisCommand } from '@ioredis/commands';
import ts from 'typescript';

/** The modules the store contract covers; each one's test/topology/store-contract.ts section. */
const COVERED = [
  'src/auth/sessions.ts',
  'src/auth/session-index.ts',
  'src/auth/session-narrowing.ts',
  'src/auth/login-throttle.ts',
  'src/auth/dpop/replay-cache.ts',
  'src/auth/codes/authorization-codes.ts',
  'src/auth/codes/code-issuance-limit.ts',
  'src/auth/consents.ts',
  'src/cache/redis-cache-store.ts',
  'src/store/redis.ts',
];

const ROOT = path.resolve(__dirname, '..', '..');
const CONNECTION = new Set(['connect', 'disconnect', 'quit', 'duplicate']);
const TRANSPORT = new Set(['multi', 'pipeline', 'exec', 'call', 'sendCommand']);
const SENDING_HELPERS = new Set(['sendBatch', 'withScripts']);

/** Every call in src/ that sends a Redis command, as `file:line method`. */
function redisCommandCalls(): string[] {
  const { config: raw } = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const config = ts.parseJsonConfigFileContent(raw, ts.sys, ROOT);
  const files = config.fileNames.filter((f) => path.relative(ROOT, f).startsWith(`src${path.sep}`));
  const program = ts.createProgram(files, config.options);
  const checker = program.getTypeChecker();
  const found: string[] = [];
  for (const file of program.getSourceFiles()) {
    const rel = path.relative(ROOT, file.fileName);
    if (!rel.startsWith(`src${path.sep}`)) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        const callee = ts.isPropertyAccessExpression(node.expression) ? node.expression.name : node.expression;
        const name = callee.getText(file);
        let symbol = checker.getSymbolAtLocation(callee);
        // An imported function's symbol is the import: follow it to the declaration.
        if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
        const declared = (symbol?.declarations ?? []).map((d) => d.getSourceFile().fileName);
        const fromIoredis = declared.some((f) => f.includes(`${path.sep}node_modules${path.sep}ioredis${path.sep}`));
        const fromHelpers = declared.some((f) => f === path.join(ROOT, 'src', 'store', 'redis.ts'));
        const sends = fromIoredis
          ? !CONNECTION.has(name) && (TRANSPORT.has(name) || isRedisCommand(name))
          : fromHelpers && SENDING_HELPERS.has(name);
        if (sends) {
          const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
          found.push(`${rel.split(path.sep).join('/')}:${line + 1} ${name}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return found;
}

const calls = redisCommandCalls();

it('sends Redis commands only from the modules the store contract covers', () => {
  expect(calls.filter((c) => !COVERED.includes(c.slice(0, c.indexOf(':'))))).toEqual([]);
});

it('finds the commands the covered modules send (the check itself works)', () => {
  const modules = new Set(calls.map((c) => c.slice(0, c.indexOf(':'))));
  expect([...modules].sort()).toEqual(expect.arrayContaining(COVERED.filter((m) => m !== 'src/store/redis.ts')));
  expect(calls).toEqual(expect.arrayContaining([expect.stringMatching(/^src\/auth\/sessions\.ts:\d+ hmget$/)]));
});
