// Structural verdicts of ajv over the aimmo-gt bundles: reads {bundles, documents, formats} as JSON on
// stdin, writes {engine, version, verdicts, warnings} as JSON on stdout. One process for every
// document, so that the test pays Node's start-up once.
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

function validatorFor(bundle) {
  // Strict mode, so that a keyword ajv does not know is an error rather than ignored. Union types
  // (["string", "integer"]) are plain JSON Schema, not a mistake; strictTypes would only complain
  // that a profile narrows `properties` without repeating the `type` its $ref target states.
  const ajv = new Ajv2020({ allowUnionTypes: true, strictTypes: false, logger });
  // Our keywords, read from the vocabulary meta-schema the bundle embeds: annotations only, so
  // that ajv checks exactly the structure the standard keywords state.
  for (const keyword of Object.keys(bundle.$defs[VOCABULARY].properties)) {
    ajv.addKeyword({ keyword, schemaType: ["boolean", "string", "array", "object"] });
  }
  // Our formats are always valid here: format assertion is our vocabulary's job, not structure's.
  for (const format of input.formats) ajv.addFormat(format, true);
  return ajv.compile(bundle);
}

const verdicts = {};
for (const [name, bundle] of Object.entries(input.bundles)) {
  const validate = validatorFor(bundle);
  verdicts[name] = input.documents.map((document) => {
    const valid = validate(document);
    const error = valid ? null : validate.errors[0];
    return {
      valid,
      error: error && `${error.instancePath || "/"} ${error.keyword}: ${error.message}`,
    };
  });
}

process.stdout.write(JSON.stringify({ engine: "ajv", version, verdicts, warnings }));
