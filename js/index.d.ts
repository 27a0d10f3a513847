// The package's API; the GT document's types are generated from the schemas (types/gt.d.ts).
import type { ValidateFunction } from "ajv";

import type { Document } from "./types/gt.js";

export type * from "./types/gt.js";

/** The resource types a document may be checked as (schemas/v1/profiles/). */
export type Profile = "image" | "image-pixel" | "sequence" | "pointcloud" | "video" | "text";
export declare const profiles: readonly Profile[];

/** A schema file of the package, parsed, by its path under schemas/v1 ("profiles/image.bundle.json"). */
export declare function schema(path: string): object;

/** What the documents are for (schemas/v1/defs/purpose.json). */
export type Purpose = "export" | "upload";
export declare const purposes: readonly Purpose[];

/**
 * A validate function (ajv's) for a profile's bundle, or for the document schema that takes every
 * annotation type when no profile is given: structure and formats, not our vocabulary's rules. The
 * purpose is "export" by default (`file_id` required); "upload" checks a GT-upload file instead.
 */
export declare function createValidator(
  profile?: Profile,
  options?: { purpose?: Purpose },
): ValidateFunction<Document>;
export default createValidator;
