// Part of `npm run build`, after tsc: keeps openapi/openapi.yaml parsed as JSON in dist/document-cache/,
// so that the compiled service starts without parsing YAML (src/pipeline/compile/document-cache.ts).
const path = require('node:path');
const { writeCachedParse } = require('../dist/src/pipeline/compile/document-cache');
const file = path.resolve(__dirname, '..', 'openapi', 'openapi.yaml');
if (!writeCachedParse(file)) console.warn(`${file} does not survive JSON: the service will parse the YAML at start-up`);
