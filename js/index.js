// A compiled ajv validator of AIMMO GT documents: the structure of the schemas and our two formats.
// The rules of our vocabulary (bbox corners, mask areas, points within the image, ...) are annotations
// here: the Python package `aimmo-gt` checks them.
import { readFileSync } from "node:fs";

import Ajv2020 from "ajv/dist/2020.js";

/** The resource types a document may be checked as (schemas/v1/profiles/). */
export const profiles = Object.freeze(["image", "image-pixel", "sequence", "pointcloud", "video", "text"]);

const VERSION_DIR = new URL("./schemas/v1/", import.meta.url);
const VOCABULARY = "https://schemas.aimmo-gt.org/v1/meta/vocabulary.json";

/** What the documents are for (schemas/v1/defs/purpose.json): an export (the default) or a GT upload. */
export const purposes = Object.freeze(["export", "upload"]);

const PURPOSE = "https://schemas.aimmo-gt.org/v1/defs/purpose.json#/$defs/";

/** A schema file of the package, parsed, by its path under schemas/v1 ("profiles/image.bundle.json"). */
export function schema(path) {
  return JSON.parse(readFileSync(new URL(path, VERSION_DIR), "utf8"));
}

/**
 * A validate function (ajv's) for a profile's bundle, or for the document schema that takes every
 * annotation type when no profile is given, and for a purpose: "export" (the default: `file_id`
 * required) or "upload" (a GT upload: annotation ids `<n>-<uuid>`). Each call compiles a fresh ajv
 * instance: keep the result.
 */
export function createValidator(profile, { purpose = "export" } = {}) {
  if (profile !== undefined && !profiles.includes(profile)) {
    throw new TypeError(`unknown profile ${JSON.stringify(profile)}: one of ${profiles.join(", ")}`);
  }
  if (!purposes.includes(purpose)) {
    throw new TypeError(`unknown purpose ${JSON.stringify(purpose)}: one of ${purposes.join(", ")}`);
  }
  const bundle = schema(profile === undefined ? "document.bundle.json" : `profiles/${profile}.bundle.json`);
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  // Strict mode refuses keywords it was not told of: ours are annotations here.
  for (const keyword of Object.keys(bundle.$defs[VOCABULARY].properties)) {
    ajv.addKeyword({ keyword, schemaType: ["boolean", "string", "array", "object"] });
  }
  // Our formats, asserted with the pattern each definition states beside it.
  for (const path of ["defs/object-id.json", "defs/annotation-id.json"]) {
    const { format, pattern } = schema(path);
    ajv.addFormat(format, new RegExp(pattern, "u"));
  }
  // The bundle carries defs/purpose.json; its root does not apply it: the purpose goes beside it.
  ajv.addSchema(bundle);
  return ajv.compile({ allOf: [{ $ref: bundle.$id }, { $ref: PURPOSE + purpose }] });
}

export default createValidator;
