// Part of `npm run build`, after tsc: what the compiled service would otherwise work out at every
// start, from openapi/openapi.yaml, kept in dist/:
//  - the document parsed (dist/document-cache/, src/pipeline/compile/document-cache.ts);
//  - its validators compiled (dist/validator-cache/, src/pipeline/compile/validator-cache.ts).
const path = require('node:path');
const { writeCachedParse } = require('../dist/src/pipeline/compile/document-cache');
const { loadDocument } = require('../dist/src/pipeline/compile/document');
const { writeValidators } = require('../dist/src/pipeline/compile/precompile-validators');

const file = path.resolve(__dirname, '..', 'openapi', 'openapi.yaml');
if (!writeCachedParse(file)) console.warn(`${file} does not survive JSON: the service will parse the YAML at start-up`);
writeValidators(loadDocument(file));
