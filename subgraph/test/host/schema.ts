/** The entity definitions of schema.graphql that the store needs: fields, nullability, kinds. */
import { readFileSync } from "node:fs";

export interface FieldDef {
  name: string;
  /** Base GraphQL type (ID, String, Int, Int8, BigInt, BigDecimal, Bytes, Boolean, Timestamp, or an entity). */
  type: string;
  required: boolean;
  list: boolean;
  derived: boolean;
  /** The field of `type` that a derived field follows. */
  derivedFrom?: string;
}

export interface EntityDef {
  name: string;
  immutable: boolean;
  timeseries: boolean;
  aggregation: boolean;
  fields: Map<string, FieldDef>;
}

export function parseSchema(file: string): Map<string, EntityDef> {
  const text = readFileSync(file, "utf8")
    .replace(/#[^\n]*/g, "")
    .replace(/"""[\s\S]*?"""|"[^"\n]*"\n/g, "\n");
  const out = new Map<string, EntityDef>();
  for (const m of text.matchAll(/type\s+(\w+)\s*(@[^{]*)?\{([^}]*)\}/g)) {
    const [, name, directives = "", body] = m;
    const fields = new Map<string, FieldDef>();
    for (const line of body!.split("\n")) {
      const f = /^\s*(\w+)\s*:\s*(\[?)\s*(\w+)(!?)\s*\]?\s*(!?)(.*)$/.exec(line);
      if (!f) continue;
      const list = f[2] === "[";
      fields.set(f[1]!, {
        name: f[1]!,
        type: f[3]!,
        list,
        required: list ? f[5] === "!" : f[4] === "!",
        derived: /@derivedFrom/.test(f[6]!),
        derivedFrom: /@derivedFrom\(\s*field:\s*"(\w+)"/.exec(f[6]!)?.[1],
      });
    }
    out.set(name!, {
      name: name!,
      immutable: /immutable:\s*true/.test(directives) || /timeseries:\s*true/.test(directives),
      timeseries: /timeseries:\s*true/.test(directives),
      aggregation: /@aggregation/.test(directives),
      fields,
    });
  }
  return out;
}
