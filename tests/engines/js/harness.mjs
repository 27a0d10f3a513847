// Structural verdicts of ajv over the aimmo-gt bundles. Reads {bundles, formats, instances, checks} as
// JSON on stdin (a check: {bundle, target, instance}, target null for the bundle itself or the $id of a
// resource it embeds), writes {engine, version, verdicts, warnings} as JSON on stdout, one verdict per
// check. One process for every check, so that the test pays Node's start-up once.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import Ajv2020 from "ajv/dist/2020.js";

const require = createRequire(import.meta.url);
const { version } = require("ajv/package.json");

const VOCABULARY = "https://schemas.aimmo-gt.org/v1/meta/vocabulary.json";

const input = JSON.parse(readFileSync(0, "utf8"));
const warnings = [];
const logger = {
  log: () => {},
  warn: (...args) => warnings.push(args.join(" ")),
  error: (...args) => warnings.push(args.join(" ")),
};

// One Ajv instance per bundle: bundles embed the same $ids, which one instance would refuse twice.
function load(bundle) {
  // Strict mode (strictTypes included: every narrowing subschema states its type), so that a
  // keyword ajv does not know is an error rather than ignored. Union types (["string", "integer"])
  // are plain JSON Schema, not a mistake.
  const ajv = new Ajv2020({ allowUnionTypes: true, logger });
  // Our keywords, read from the vocabulary meta-schema the bundle embeds: annotations only, so
  // that ajv checks exactly the structure the standard keywords state.
  // A schema derived from a project's ontology embeds no vocabulary: standard keywords only, which
  // strict mode proves (an unknown keyword or format is an error).
  const vocabulary = bundle.$defs?.[VOCABULARY];
  for (const keyword of Object.keys(vocabulary ? vocabulary.properties : {})) {
    ajv.addKeyword({ keyword, schemaType: ["boolean", "string", "array", "object"] });
  }
  // Our formats are always valid here: format assertion is our vocabulary's job, not structure's.
  for (const format of input.formats) ajv.addFormat(format, true);
  return { ajv, root: ajv.compile(bundle) };
}

const loaded = new Map();
function validatorFor(name, target) {
  if (!loaded.has(name)) loaded.set(name, load(input.bundles[name]));
  const { ajv, root } = loaded.get(name);
  if (target === null) return root;
  const validate = ajv.getSchema(target);
  if (!validate) throw new Error(`${name} embeds no resource ${target}`);
  return validate;
}

const verdicts = input.checks.map(({ bundle, target, instance }) => {
  const validate = validatorFor(bundle, target);
  const valid = validate(input.instances[instance]);
  const error = valid ? null : validate.errors[0];
  return { valid, error: error && `${error.instancePath || "/"} ${error.keyword}: ${error.message}` };
});

process.stdout.write(JSON.stringify({ engine: "ajv", version, verdicts, warnings }));
