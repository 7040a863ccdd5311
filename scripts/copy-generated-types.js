// The compiled client's declarations import the generated types by the same relative path as the
// sources do (dist/src/client -> dist/generated), and tsc never copies .d.ts inputs: copy them.
const fs = require('node:fs');
const path = require('node:path');
const root = path.resolve(__dirname, '..');
fs.mkdirSync(path.join(root, 'dist', 'generated'), { recursive: true });
fs.copyFileSync(path.join(root, 'generated', 'openapi.d.ts'), path.join(root, 'dist', 'generated', 'openapi.d.ts'));
