// `npm run docs:errors`: writes the gateway's error catalogue into README.md (section "Error codes").
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errorCatalogueMarkdown } from '../apps/gateway/src/common/error-catalogue';

const README = path.resolve(__dirname, '..', 'README.md');
const START = '<!-- error-catalogue:start -->';
const END = '<!-- error-catalogue:end -->';
const block = `${START}\n${errorCatalogueMarkdown()}\n${END}`;
const readme = readFileSync(README, 'utf8');
const existing = new RegExp(`${START}[\\s\\S]*?${END}`);
const section =
  '## Error codes\n\nEvery error answer is `{statusCode, code, message}`; a recording that cannot be screened in a batch carries the same `code` ' +
  'on its prediction. Each code has one status and one meaning (apps/gateway/src/common/error-catalogue.ts):\n\n' +
  `${block}\n\n`;
writeFileSync(
  README,
  existing.test(readme)
    ? readme.replace(existing, block)
    : readme.replace('## Layout', `${section}## Layout`),
);
console.log(`README.md: error catalogue written`);
