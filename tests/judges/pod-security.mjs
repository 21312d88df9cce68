// The Pod Security Standards judge: @monokle/validation's pod-security-standards core plugin
// (baseline PSS1xx and restricted PSS2xx rules), run offline on built manifests. No network:
// only that plugin is enabled, and it is bundled with the package.
//
// usage: node tests/judges/pod-security.mjs <file.yaml>...
// Prints one line per violation and exits 1 when there is any, 0 otherwise, 2 on misuse.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import {
  MonokleValidator,
  DefaultPluginLoader,
  ResourceParser,
  DisabledFixer,
} from '@monokle/validation';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: pod-security.mjs <file.yaml>...');
  process.exit(2);
}
const resources = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  parseAllDocuments(text).forEach((doc, index) => {
    const content = doc.toJS();
    if (!content || typeof content !== 'object') return;
    resources.push({
      id: `${file}#${index}`,
      fileId: file,
      filePath: file,
      fileOffset: doc.range[0],
      text: String(doc),
      content,
      kind: content.kind,
      apiVersion: content.apiVersion,
      name: content.metadata?.name ?? '',
      namespace: content.metadata?.namespace,
    });
  });
}
const validator = new MonokleValidator({
  loader: new DefaultPluginLoader(),
  parser: new ResourceParser(),
  fixer: new DisabledFixer(),
  suppressors: [],
});
// The restricted rules (PSS2xx) are off by default: every baseline and restricted rule is on.
const ids = [...Array(11).keys()].map(i => `PSS${101 + i}`).concat(
  [...Array(6).keys()].map(i => `PSS${201 + i}`));
await validator.preload({
  plugins: { 'pod-security-standards': true },
  rules: Object.fromEntries(ids.map(id => [id, 'err'])),
});
const response = await validator.validate({ resources });
let violations = 0;
let checked = 0;
for (const run of response.runs) {
  checked += run.tool.extensions?.reduce((n, e) => n + (e.rules?.length ?? 0), 0) ?? run.tool.driver.rules?.length ?? 0;
  for (const result of run.results) {
    violations += 1;
    const where = result.locations?.[1]?.logicalLocations?.[0]?.fullyQualifiedName ?? '';
    const file = result.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? '';
    console.log(`${result.ruleId} ${file} ${where}: ${result.message.text}`);
  }
}
console.error(`pod-security-standards: ${resources.length} resources, ${checked} rules, ${violations} violations`);
process.exit(violations > 0 ? 1 : 0);
