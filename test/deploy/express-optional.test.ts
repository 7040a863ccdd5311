/**
 * An installed specgate runs without express: express is a devDependency and an optional
 * peerDependency (an application that embeds specgate brings its own), and src/ refers only to its
 * types. Static: every import of express under src/ is `import type`/`export type`, and the
 * JavaScript TypeScript emits for each file of src/ (with the build's settings) loads no express.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '../..');
const isExpress = (specifier: string) => /^express(\/|$)/.test(specifier);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const files = sourceFiles(path.join(root, 'src'));
const where = (file: string, sf: ts.SourceFile, node: ts.Node) =>
  `${path.relative(root, file)}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;

/** Every place a file may load express at run time: a value import or export, require() or import(). */
function valueImportsOfExpress(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const literal = (node: ts.Node | undefined) => (node && ts.isStringLiteral(node) ? node.text : undefined);
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const from = literal(node.moduleSpecifier);
      if (from && isExpress(from) && !node.importClause?.isTypeOnly) found.push(where(file, sf, node));
    } else if (ts.isExportDeclaration(node)) {
      const from = literal(node.moduleSpecifier);
      if (from && isExpress(from) && !node.isTypeOnly) found.push(where(file, sf, node));
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const from = literal(node.moduleReference.expression);
      if (from && isExpress(from) && !node.isTypeOnly) found.push(where(file, sf, node));
    } else if (ts.isCallExpression(node)) {
      const from = literal(node.arguments[0]);
      const loads =
        node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require');
      if (loads && from && isExpress(from)) found.push(where(file, sf, node));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe('express is optional for an installed specgate', () => {
  it('is a devDependency and an optional peerDependency, not a dependency', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.dependencies.express).toBeUndefined();
    expect(pkg.devDependencies.express).toBeDefined();
    expect(pkg.peerDependencies.express).toBe(pkg.devDependencies.express);
    expect(pkg.peerDependenciesMeta.express).toEqual({ optional: true });
  });

  it('src/ imports only the types of express', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.filter((f) => readFileSync(f, 'utf8').includes("'express'")).length).toBeGreaterThan(0);
    expect(files.flatMap(valueImportsOfExpress)).toEqual([]);
  });

  it('the JavaScript built from src/ loads no express', () => {
    const build = ts.getParsedCommandLineOfConfigFile(
      path.join(root, 'tsconfig.build.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    );
    if (!build) throw new Error('tsconfig.build.json did not parse');
    const loadsExpress = /(?:require\s*\(|import\s*\(|from\s*|import\s*)["']express(?:\/[^"']*)?["']/;
    const loading = files.filter((file) =>
      loadsExpress.test(
        ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: build.options, fileName: file }).outputText,
      ),
    );
    expect(loading.map((f) => path.relative(root, f))).toEqual([]);
  });
});
