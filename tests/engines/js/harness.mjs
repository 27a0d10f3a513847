// Structural verdicts of the JavaScript engines over the aimmo-gt schemas: ajv in strict mode and
// @hyperjump/json-schema over the bundles, @hyperjump/json-schema and VS Code's JSON language service
// over the separate files (the tree). Reads {bundles, tree, treeUrl, standard, formats, instances,
// checks} as JSON on
// stdin (a check: {bundle, target, instance}, target null for the bundle itself or the $id of a
// resource it embeds; over the tree, the bundle stands for the file it bundles), writes
// {engines: {name: {engine, version, verdicts, warnings}}} as JSON on stdout, one verdict per check.
// One process for every engine and check, so that the test pays Node's start-up once.
import { readFileSync } from "node:fs";

import Ajv2020 from "ajv/dist/2020.js";
import * as hyperjump from "@hyperjump/json-schema/draft-2020-12";
import languageService from "vscode-json-languageservice";

const { getLanguageService, TextDocument } = languageService; // a CommonJS module
// Read from the file: not every package exports its package.json.
const versionOf = (name) =>
  JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), "utf8")).version;

const VOCABULARY = "https://schemas.aimmo-gt.org/v1/meta/vocabulary.json";
const BASE = "https://schemas.aimmo-gt.org/v1/";

// Read asynchronously: a synchronous read of a pipe can fail with EAGAIN once a module has made stdin
// non-blocking.
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const rootOf = (bundle, target) => target ?? input.bundles[bundle].$ref;
const describe = (error) => (error instanceof Error ? error.message : String(error)).slice(0, 400);

// --- ajv, strict mode, over the bundles --------------------------------------------------------

function ajvEngine() {
  const warnings = [];
  const logger = {
    log: () => {},
    warn: (...args) => warnings.push(args.join(" ")),
    error: (...args) => warnings.push(args.join(" ")),
  };
  // One Ajv instance per bundle: bundles embed the same $ids, which one instance would refuse twice.
  function load(bundle) {
    // strict: true makes every strict-mode restriction an error (strictSchema, strictNumbers,
    // strictTypes, strictTuples, strictRequired). Union types (["string", "integer"]) are plain JSON
    // Schema, which strictTypes refuses unless allowed.
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, logger });
    // Strict mode refuses a keyword it was not told about: ours, read from the vocabulary meta-schema
    // the bundle embeds, are annotations here, so that ajv checks exactly what the standard keywords
    // state.
    // A schema derived from a project's ontology (`aimmo-gt ontology schema`) embeds no vocabulary:
    // standard keywords only, which strict mode proves.
    const vocabulary = bundle.$defs?.[VOCABULARY];
    for (const keyword of Object.keys(vocabulary ? vocabulary.properties : {})) {
      ajv.addKeyword({ keyword, schemaType: ["boolean", "string", "array", "object"] });
    }
    // Our formats are always valid here: format assertion is our vocabulary's job, not structure's.
    for (const format of input.formats) ajv.addFormat(format, true);
    return { ajv, root: ajv.compile(bundle) };
  }
  const loaded = new Map();
  const verdicts = input.checks.map(({ bundle, target, instance }) => {
    if (!loaded.has(bundle)) loaded.set(bundle, load(input.bundles[bundle]));
    const { ajv, root } = loaded.get(bundle);
    const validate = target === null ? root : ajv.getSchema(target);
    if (!validate) throw new Error(`${bundle} embeds no resource ${target}`);
    const valid = validate(input.instances[instance]);
    const error = valid ? null : validate.errors[0];
    return { valid, error: error && `${error.instancePath || "/"} ${error.keyword}: ${error.message}` };
  });
  return { engine: "ajv", version: versionOf("ajv"), options: "strict: true", verdicts, warnings };
}

// --- @hyperjump/json-schema, no configuration: the bundles, then the tree -----------------------

async function hyperjumpVerdict(uri, instance, cache) {
  if (!cache.has(uri)) cache.set(uri, await hyperjump.validate(uri));
  const output = cache.get(uri)(instance, hyperjump.BASIC ?? "BASIC");
  if (output.valid) return { valid: true, error: null };
  const first = (output.errors ?? []).at(-1);
  return { valid: false, error: first ? `${first.instanceLocation} ${first.absoluteKeywordLocation}` : "invalid" };
}

// An embedded resource by JSON pointer from the bundle's $id: hyperjump (like several engines) does not
// look up an embedded resource by its own $id from outside the bundle.
const embedded = (bundleId, target) =>
  target === null
    ? bundleId
    : `${bundleId}#/$defs/${encodeURIComponent(target.replaceAll("~", "~0").replaceAll("/", "~1"))}`;

async function hyperjumpBundles() {
  const verdicts = new Array(input.checks.length);
  const byBundle = new Map();
  input.checks.forEach((check, i) => byBundle.set(check.bundle, [...(byBundle.get(check.bundle) ?? []), i]));
  for (const [name, indices] of byBundle) {
    // Bundles embed the same $ids: one registered at a time.
    const bundle = input.bundles[name];
    hyperjump.registerSchema(bundle);
    const cache = new Map();
    for (const i of indices) {
      const { target, instance } = input.checks[i];
      verdicts[i] = await hyperjumpVerdict(embedded(bundle.$id, target), input.instances[instance], cache);
    }
    hyperjump.unregisterSchema(bundle.$id);
  }
  return { engine: "@hyperjump/json-schema", version: versionOf("@hyperjump/json-schema"), verdicts, warnings: [] };
}

async function hyperjumpTree() {
  for (const schema of Object.values(input.tree)) hyperjump.registerSchema(schema);
  const cache = new Map();
  const verdicts = [];
  for (const { bundle, target, instance } of input.checks) {
    verdicts.push(await hyperjumpVerdict(rootOf(bundle, target), input.instances[instance], cache));
  }
  for (const uri of Object.keys(input.tree)) hyperjump.unregisterSchema(uri);
  return { engine: "@hyperjump/json-schema", version: versionOf("@hyperjump/json-schema"), verdicts, warnings: [] };
}

// --- VS Code's JSON language service over the tree, as an editor with json.schemas set ---------

async function vscodeTree() {
  const warnings = [];
  // As an editor's settings name them (json.schemas' url): the files on disk. Relative $refs resolve
  // against the file's URL, so nothing has to be downloaded.
  const fileOf = (uri) => new URL(uri.slice(BASE.length), input.treeUrl).href;
  const service = getLanguageService({
    // What the editor reads from disk; any other URI is an error, never a download.
    schemaRequestService: async (uri) => {
      if (uri.startsWith(input.treeUrl)) return readFileSync(new URL(uri), "utf8");
      // The draft 2020-12 meta-schemas, which VS Code ships with; our dialect's examples and case
      // files are schemas checked against it, which refers to them.
      if (uri in input.standard) return JSON.stringify(input.standard[uri]);
      warnings.push(`requested ${uri}, which is no schema file`);
      throw new Error(`no schema file ${uri}`);
    },
    workspaceContext: { resolveRelativePath: (relative, resource) => new URL(relative, resource).href },
  });
  // One association per schema used, as `json.schemas` entries of a settings file: each check's
  // instance is opened as a file of the folder its schema is associated with.
  const roots = [...new Set(input.checks.map(({ bundle, target }) => rootOf(bundle, target)))];
  const folder = (uri) => `file:///gt/${roots.indexOf(uri)}`;
  service.configure({
    validate: true,
    allowComments: false,
    schemas: roots.map((uri) => ({ uri: fileOf(uri), fileMatch: [`${folder(uri)}/*.json`] })),
  });
  const settings = { schemaValidation: "error", schemaRequest: "error", comments: "error", trailingCommas: "error" };
  const verdicts = [];
  for (const [i, { bundle, target, instance }] of input.checks.entries()) {
    const text = JSON.stringify(input.instances[instance], null, 1);
    const document = TextDocument.create(`${folder(rootOf(bundle, target))}/${i}.json`, "json", 1, text);
    const diagnostics = await service.doValidation(document, service.parseJSONDocument(document), settings);
    const errors = diagnostics.filter((d) => d.severity === 1);
    for (const d of diagnostics) {
      // A schema the service could not load or read says nothing about the instance: loud, not a verdict.
      if (/schema/i.test(d.message) && /load|resolve|unable|draft/i.test(d.message)) warnings.push(d.message);
    }
    verdicts.push({ valid: errors.length === 0, error: errors[0] ? `line ${errors[0].range.start.line + 1}: ${errors[0].message}` : null });
  }
  return { engine: "vscode-json-languageservice", version: versionOf("vscode-json-languageservice"), verdicts, warnings };
}

// --- all of them -----------------------------------------------------------------------------

async function run(make) {
  try {
    return await make();
  } catch (error) {
    // An engine that cannot load the schemas gives no verdict; the test reports why.
    return { failed: describe(error), verdicts: [], warnings: [] };
  }
}

const engines = {
  "ajv (bundles)": await run(ajvEngine),
  "@hyperjump/json-schema (bundles)": await run(hyperjumpBundles),
  "@hyperjump/json-schema (tree)": await run(hyperjumpTree),
  "vscode-json-languageservice (tree)": await run(vscodeTree),
};
process.stdout.write(JSON.stringify({ engines }));
