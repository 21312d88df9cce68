// The prometheus-operator judge: checks every ServiceMonitor and PrometheusRule
// (monitoring.coreos.com/v1) in the given YAML files against the upstream CRD schemas, strictly,
// the way `kubeconform -strict` does with CRD schemas: wrong types, missing required fields,
// enum and pattern violations (e.g. the Duration pattern of `interval` and `for`), unknown
// fields in any object that declares properties, and null values are all violations.
//
// Where the schemas come from: the npm package @kubernetes-models/prometheus-operator, pinned at
// 5.0.1 in package.json (MIT licence; the CRDs it is generated from are prometheus-operator's,
// Apache-2.0). Its crd-generate build reads the `stripped-down-crds.yaml` release asset of
// prometheus-operator v0.90.1 (the upstream CRDs with their openAPIV3Schema, descriptions
// removed) and ships, for each kind, that schema precompiled into an ajv validate function
// (_schemas/MonitoringCoreosComV1<Kind>.js) and a TypeScript interface generated from the same
// schema (monitoring.coreos.com/v1/<Kind>.d.ts). metadata is checked against the package's
// Kubernetes ObjectMeta (@kubernetes-models/apimachinery). Versions 6.x of the package are no use
// here: they are generated from prometheus-operator's Go types, not from the CRDs.
//
// Strictness: a CRD schema cannot say `additionalProperties: false` (the API server prunes or,
// with strict field validation, rejects unknown fields instead), and the precompiled functions,
// like any JSON-schema validator, let unknown keys through. So this judge also walks each
// document along the package's generated interface and rejects a key that an object type does
// not declare, unless that type is a map (an index signature: the schema's
// `additionalProperties`) or declares no property at all (left open, as kubeconform does). The
// same walk covers metadata (ObjectMeta's keys; kubeconform does not look inside metadata). A
// null is rejected outside metadata unless the type admits null: the precompiled functions let a
// null through for every optional field, kubeconform does not. metadata.name is required too,
// and a document of either kind with another apiVersion (or the kind misspelled in case) is a
// violation. YAML is read as YAML 1.2 (the `yaml` package's default, as in pod-security.mjs);
// duplicate keys are an error.
//
// usage: node tests/judges/prometheus-operator.mjs <file.yaml>...
// Prints `<file>#<doc index> <kind>/<name>: <violation>` per violation, then
// `checked N ServiceMonitor, M PrometheusRule`. Exits 1 when there is any violation or when no
// ServiceMonitor or PrometheusRule was found (so a test cannot pass vacuously), 0 otherwise,
// 2 on misuse (no argument, unreadable file).
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';

const PACKAGE = '@kubernetes-models/prometheus-operator';
const API_VERSION = 'monitoring.coreos.com/v1';
const KINDS = ['ServiceMonitor', 'PrometheusRule'];

const files = process.argv.slice(2);
if (files.length === 0 || files.some(f => f.startsWith('-'))) {
  console.error('usage: prometheus-operator.mjs <file.yaml>...');
  process.exit(2);
}

// ---- a small reader for the generated .d.ts files (interfaces, type aliases, imports) ----
function tokenize(text) {
  const re = /\s+|\/\*[\s\S]*?\*\/|\/\/[^\n]*|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(-?\d+(?:\.\d+)?)|([A-Za-z_$][\w$]*)|([{}<>[\]():;?|,=.&*])/y;
  const tokens = [];
  let m;
  while (re.lastIndex < text.length) {
    const at = re.lastIndex;
    if (!(m = re.exec(text))) throw new Error(`cannot read type declarations at offset ${at}`);
    if (m[1]) tokens.push({ t: 'str', v: JSON.parse(m[1][0] === '"' ? m[1] : `"${m[1].slice(1, -1)}"`) });
    else if (m[2]) tokens.push({ t: 'num', v: m[2] });
    else if (m[3]) tokens.push({ t: 'id', v: m[3] });
    else if (m[4]) tokens.push({ t: 'p', v: m[4] });
  }
  return tokens;
}

const modules = new Map();
function loadModule(path) {
  if (modules.has(path)) return modules.get(path);
  const mod = { path, imports: new Map(), defs: new Map() };
  modules.set(path, mod);
  const tk = tokenize(readFileSync(path, 'utf8'));
  let i = 0;
  const peek = (v) => tk[i] && tk[i].v === v;
  const eat = (v) => {
    if (!peek(v)) throw new Error(`${path}: expected ${v}, got ${tk[i]?.v}`);
    return tk[i++];
  };
  const skipStatement = () => {
    let depth = 0;
    while (i < tk.length) {
      const v = tk[i++].v;
      if (v === '{') depth++;
      else if (v === '}' && --depth === 0) { if (peek(';')) i++; return; }
      else if (v === ';' && depth === 0) return;
    }
  };
  const parseType = () => {
    if (peek('|')) i++;
    const parts = [parsePostfix()];
    while (peek('|') || peek('&')) {
      if (tk[i].v === '&') throw new Error(`${path}: intersection types are not supported`);
      i++;
      parts.push(parsePostfix());
    }
    return parts.length === 1 ? parts[0] : { kind: 'union', types: parts };
  };
  const parsePostfix = () => {
    let type = parsePrimary();
    while (peek('[') && tk[i + 1]?.v === ']') { i += 2; type = { kind: 'array', items: type }; }
    return type;
  };
  const parsePrimary = () => {
    const tok = tk[i++];
    if (tok.v === '{' && tok.t === 'p') return parseMembers();
    if (tok.v === '(' && tok.t === 'p') { const t = parseType(); eat(')'); return t; }
    if (tok.t === 'str' || tok.t === 'num') return { kind: 'prim', name: 'literal', value: tok.v };
    if (tok.t !== 'id') throw new Error(`${path}: unexpected ${tok.v} in a type`);
    if (tok.v === 'Array' || tok.v === 'ReadonlyArray') {
      eat('<'); const items = parseType(); eat('>');
      return { kind: 'array', items };
    }
    if (tok.v === 'Record') {
      eat('<'); parseType(); eat(','); const value = parseType(); eat('>');
      return { kind: 'object', props: new Map(), index: value };
    }
    if (['string', 'number', 'boolean', 'any', 'unknown', 'null', 'undefined', 'object', 'never', 'true', 'false'].includes(tok.v)) {
      return { kind: 'prim', name: tok.v };
    }
    let name = tok.v;
    while (peek('.')) { i++; name += `.${tk[i++].v}`; }
    if (peek('<')) { i++; parseType(); while (peek(',')) { i++; parseType(); } eat('>'); }
    return { kind: 'ref', name, mod };
  };
  const parseMembers = () => {
    const type = { kind: 'object', props: new Map(), index: null };
    while (!peek('}')) {
      if (peek('readonly')) i++;
      if (peek('[')) {
        i++; i++; eat(':'); parseType(); eat(']'); eat(':');
        type.index = parseType();
      } else {
        const key = tk[i++].v;
        const optional = peek('?') ? (i++, true) : false;
        eat(':');
        type.props.set(key, { type: parseType(), optional });
      }
      if (peek(';') || peek(',')) i++;
    }
    eat('}');
    return type;
  };
  while (i < tk.length) {
    if (peek('import')) {
      i++;
      if (peek('type')) i++;
      if (!peek('{')) { skipStatement(); continue; }
      i++;
      const names = [];
      while (!peek('}')) {
        if (peek('type')) i++;
        const imported = tk[i++].v;
        let local = imported;
        if (peek('as')) { i++; local = tk[i++].v; }
        names.push([local, imported]);
        if (peek(',')) i++;
      }
      eat('}'); eat('from');
      const spec = tk[i++].v;
      if (peek(';')) i++;
      for (const [local, imported] of names) mod.imports.set(local, { spec, imported });
      continue;
    }
    const start = i;
    if (peek('export')) i++;
    if (peek('declare')) i++;
    if (peek('interface')) {
      i++;
      const name = tk[i++].v;
      if (peek('<')) { while (!peek('>')) i++; i++; }
      const bases = [];
      if (peek('extends')) {
        i++;
        do { bases.push(parsePrimary()); } while (peek(',') && ++i);
      }
      eat('{');
      const type = parseMembers();
      type.bases = bases;
      mod.defs.set(name, type);
      continue;
    }
    if ((peek('type') && tk[i + 1]?.v === '{') || peek('{')) {
      // export type { IObjectMeta as IIoK8sApimachineryPkgApisMetaV1ObjectMeta, ... };
      if (peek('type')) i++;
      i++;
      while (!peek('}')) {
        const local = tk[i++].v;
        let exported = local;
        if (peek('as')) { i++; exported = tk[i++].v; }
        if (exported !== local) mod.defs.set(exported, { kind: 'ref', name: local, mod });
        if (peek(',')) i++;
      }
      i++;
      if (peek('from')) { i++; i++; }
      if (peek(';')) i++;
      continue;
    }
    if (peek('type')) {
      i++;
      const name = tk[i++].v;
      if (peek('<')) { while (!peek('>')) i++; i++; }
      eat('=');
      mod.defs.set(name, parseType());
      if (peek(';')) i++;
      continue;
    }
    i = start;
    skipStatement();
  }
  return mod;
}

function resolveRef(type, seen = new Set()) {
  while (type.kind === 'ref') {
    const { name, mod } = type;
    if (seen.has(type)) throw new Error(`${mod.path}: ${name} refers to itself`);
    seen.add(type);
    if (mod.defs.has(name)) { type = mod.defs.get(name); continue; }
    const imp = mod.imports.get(name);
    if (!imp) throw new Error(`${mod.path}: cannot resolve type ${name}`);
    const target = imp.spec.startsWith('.')
      ? fileURLToPath(new URL(imp.spec, pathToFileURL(mod.path)))
      : fileURLToPath(import.meta.resolve(imp.spec));
    const other = loadModule(target.endsWith('.d.ts') ? target : `${target.replace(/\.js$/, '')}.d.ts`);
    type = { kind: 'ref', name: imp.imported, mod: other };
  }
  if (type.kind === 'object' && type.bases?.length) {
    const props = new Map();
    let index = type.index;
    for (const base of type.bases) {
      const b = resolveRef(base);
      if (b.kind !== 'object') throw new Error('interface extends a non-object type');
      for (const [k, v] of b.props) props.set(k, v);
      index ??= b.index;
    }
    for (const [k, v] of type.props) props.set(k, v);
    type = { kind: 'object', props, index };
  }
  return type;
}

// ---- strict walk: unknown keys and nulls ----
const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
function admitsNull(type) {
  type = resolveRef(type);
  if (type.kind === 'prim') return ['null', 'any', 'unknown'].includes(type.name);
  if (type.kind === 'union') return type.types.some(admitsNull);
  return false;
}
function walk(value, type, path, report) {
  type = resolveRef(type);
  if (value === null) {
    // metadata is Kubernetes' own ObjectMeta, decoded by the API server as Go (null = unset), and
    // kubectl itself writes `creationTimestamp: null`; a CRD field is checked as kubeconform does.
    const inMetadata = path === 'metadata' || path.startsWith('metadata.') || path.startsWith('metadata[');
    if (!inMetadata && !admitsNull(type)) report(`${path}: must not be null`);
    return;
  }
  if (type.kind === 'union') {
    const shaped = type.types.map(t => resolveRef(t)).filter(t =>
      (t.kind === 'object' && isPlainObject(value)) || (t.kind === 'array' && Array.isArray(value)));
    if (shaped.length === 0) return;
    let best = null;
    for (const candidate of shaped) {
      const found = [];
      walk(value, candidate, path, m => found.push(m));
      if (best === null || found.length < best.length) best = found;
      if (found.length === 0) break;
    }
    best.forEach(report);
    return;
  }
  if (type.kind === 'array') {
    if (Array.isArray(value)) value.forEach((item, n) => walk(item, type.items, `${path}[${n}]`, report));
    return;
  }
  if (type.kind === 'object' && isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const sub = joinKey(path, key);
      const prop = type.props.get(key);
      if (prop) walk(item, prop.type, sub, report);
      else if (type.index) walk(item, type.index, sub, report);
      else if (type.props.size > 0) report(`${sub}: unknown field (allowed: ${[...type.props.keys()].join(', ')})`);
    }
  }
}

// ---- the compiled schema's errors, as one line each ----
function joinKey(path, key) {
  const k = /^[A-Za-z_][\w-]*$/.test(key) ? key : JSON.stringify(key);
  return path ? (k.startsWith('"') ? `${path}[${k}]` : `${path}.${k}`) : (k.startsWith('"') ? `[${k}]` : k);
}
function pointerToPath(pointer, doc) {
  let path = '';
  let value = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) { path += `[${seg}]`; value = value[Number(seg)]; }
    else { path = joinKey(path, seg); value = value?.[seg]; }
  }
  return { path: path || '(document)', value };
}
const show = (v) => (v === undefined ? 'nothing' : JSON.stringify(v));
function schemaErrors(errors, doc) {
  const lines = [];
  const byPath = new Map();
  for (const e of errors) {
    if (!byPath.has(e.instancePath)) byPath.set(e.instancePath, []);
    byPath.get(e.instancePath).push(e);
  }
  for (const [pointer, group] of byPath) {
    const { path, value } = pointerToPath(pointer, doc);
    if (group.some(e => e.keyword === 'anyOf' || e.keyword === 'oneOf')) {
      const types = group.filter(e => e.keyword === 'type').map(e => e.params.type);
      const others = group.filter(e => !['type', 'anyOf', 'oneOf'].includes(e.keyword)).map(e => e.keyword);
      const what = [...new Set(types)].join(' or ') + (others.length ? ` (${others.join(', ')})` : '');
      lines.push(`${path}: must be ${what || 'one of the allowed shapes'}, got ${show(value)}`);
      continue;
    }
    for (const e of group) {
      const p = e.params ?? {};
      switch (e.keyword) {
        case 'required': lines.push(`${joinKey(path === '(document)' ? '' : path, p.missingProperty)}: required field is missing`); break;
        case 'type': lines.push(`${path}: must be ${p.type}, got ${show(value)}`); break;
        case 'enum': lines.push(`${path}: must be one of ${p.allowedValues.map(v => JSON.stringify(v)).join(', ')}, got ${show(value)}`); break;
        case 'const': lines.push(`${path}: must be ${JSON.stringify(p.allowedValue)}, got ${show(value)}`); break;
        case 'pattern': lines.push(`${path}: must match ${p.pattern}, got ${show(value)}`); break;
        case 'format': lines.push(`${path}: must be a valid ${p.format}, got ${show(value)}`); break;
        case 'minLength': lines.push(`${path}: must be at least ${p.limit} character(s) long, got ${show(value)}`); break;
        case 'maxLength': lines.push(`${path}: must be at most ${p.limit} character(s) long, got ${show(value)}`); break;
        case 'minItems': lines.push(`${path}: must have at least ${p.limit} item(s)`); break;
        case 'maxItems': lines.push(`${path}: must have at most ${p.limit} item(s)`); break;
        case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
          lines.push(`${path}: must be ${p.comparison} ${p.limit}, got ${show(value)}`); break;
        default: lines.push(`${path}: fails ${e.keyword} ${JSON.stringify(p)}, got ${show(value)}`);
      }
    }
  }
  return lines;
}

// ---- the package's two artefacts for a kind: the compiled schema and the generated interface ----
const schemas = {};
try {
  for (const kind of KINDS) {
    const model = import.meta.resolve(`${PACKAGE}/monitoring.coreos.com/v1/${kind}`);
    const { validate } = await import(new URL(`../../_schemas/MonitoringCoreosComV1${kind}.js`, model));
    const types = loadModule(fileURLToPath(model).replace(/\.js$/, '.d.ts'));
    const root = { kind: 'ref', name: `I${kind}`, mod: types };
    resolveRef(root);
    if (typeof validate !== 'function') throw new Error(`no compiled schema for ${kind}`);
    schemas[kind] = { validate, root };
  }
} catch (err) {
  console.error(`prometheus-operator.mjs: cannot load the schemas of ${PACKAGE} (run npm ci): ${err.message}`);
  process.exit(2);
}

// ---- the documents ----
let violations = 0;
const checked = Object.fromEntries(KINDS.map(k => [k, 0]));
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    console.error(`prometheus-operator.mjs: cannot read ${file}: ${err.message}`);
    process.exit(2);
  }
  parseAllDocuments(text).forEach((doc, index) => {
    const where = `${file}#${index}`;
    if (doc.errors?.length) {
      for (const err of doc.errors) { violations++; console.log(`${where} (unparsed): YAML error: ${err.message.split('\n')[0]}`); }
      return;
    }
    const content = doc.toJS();
    if (!isPlainObject(content)) return;
    const kind = typeof content.kind === 'string' ? content.kind : '';
    const name = isPlainObject(content.metadata) && typeof content.metadata.name === 'string' ? content.metadata.name : '(unnamed)';
    const report = (msg) => { violations++; console.log(`${where} ${kind}/${name}: ${msg}`); };
    const exact = KINDS.find(k => k === kind);
    const near = KINDS.find(k => k.toLowerCase() === kind.toLowerCase());
    if (!exact) {
      if (near) report(`kind must be spelled ${near}`);
      return;
    }
    if (content.apiVersion !== API_VERSION) {
      report(`apiVersion must be ${API_VERSION}, got ${show(content.apiVersion)}`);
      return;
    }
    checked[kind]++;
    const { validate, root } = schemas[kind];
    const lines = validate(content) ? [] : schemaErrors(validate.errors ?? [], content);
    walk(content, root, '', m => lines.push(m));
    if (name === '(unnamed)') lines.push('metadata.name: required field is missing');
    [...new Set(lines)].forEach(report);
  });
}
if (checked.ServiceMonitor + checked.PrometheusRule === 0) {
  violations++;
  console.log(`no ${KINDS.join(' or ')} of apiVersion ${API_VERSION} found in ${files.join(' ')}`);
}
console.log(`checked ${checked.ServiceMonitor} ServiceMonitor, ${checked.PrometheusRule} PrometheusRule`);
process.exit(violations > 0 ? 1 : 0);
