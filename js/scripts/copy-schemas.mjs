// Before `npm pack`: copies every file of the repository's schemas/v1 (the tree, the bundles and any
// schema added later) into the package's schemas/v1, replacing what an earlier pack left there.
import { cpSync, rmSync } from "node:fs";

const source = new URL("../../schemas/v1/", import.meta.url);
const target = new URL("../schemas/v1/", import.meta.url);
rmSync(new URL("../schemas/", import.meta.url), { recursive: true, force: true });
cpSync(source, target, { recursive: true });
