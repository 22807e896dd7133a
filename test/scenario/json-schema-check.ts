// A checker for the part of JSON Schema (2020-12) that the exported scenario schema uses, so
// tests can hold the exported schema to what the loader accepts. Refuses keywords it does
// not know, so a schema that grows past it fails loudly rather than passing unchecked.

type Schema = Record<string, unknown> | boolean;

const KNOWN = new Set([
  '$schema', 'title', 'description', 'default', 'type', 'properties', 'required', 'additionalProperties', 'propertyNames',
  'items', 'minItems', 'maxItems', 'enum', 'const', 'anyOf', 'oneOf', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'minLength',
]);

export function unknownKeywords(schema: Schema): string[] {
  if (typeof schema === 'boolean') return [];
  const own = Object.keys(schema).filter((k) => !KNOWN.has(k));
  const nested = [
    ...Object.values((schema.properties as Record<string, Schema>) ?? {}),
    ...((schema.anyOf as Schema[]) ?? []),
    ...((schema.oneOf as Schema[]) ?? []),
    ...[schema.items, schema.additionalProperties, schema.propertyNames].filter((s): s is Schema => typeof s === 'object' && s !== null),
  ];
  return [...own, ...nested.flatMap(unknownKeywords)];
}

/** Whether `value` satisfies `schema`. */
export function conforms(value: unknown, schema: Schema): boolean {
  if (typeof schema === 'boolean') return schema;
  const s = schema as Record<string, any>;
  if (s.type !== undefined && ![s.type].flat().some((t: string) => hasType(value, t))) return false;
  if (s.const !== undefined && JSON.stringify(s.const) !== JSON.stringify(value)) return false;
  if (s.enum !== undefined && !s.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value))) return false;
  if (s.anyOf !== undefined && !s.anyOf.some((x: Schema) => conforms(value, x))) return false;
  if (s.oneOf !== undefined && s.oneOf.filter((x: Schema) => conforms(value, x)).length !== 1) return false;
  if (typeof value === 'number') {
    if (s.minimum !== undefined && value < s.minimum) return false;
    if (s.maximum !== undefined && value > s.maximum) return false;
    if (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum) return false;
  }
  if (typeof value === 'string') {
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(value)) return false;
    if (s.minLength !== undefined && value.length < s.minLength) return false;
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems) return false;
    if (s.maxItems !== undefined && value.length > s.maxItems) return false;
    if (s.items !== undefined && !value.every((v) => conforms(v, s.items))) return false;
  }
  if (hasType(value, 'object')) {
    const obj = value as Record<string, unknown>;
    const properties: Record<string, Schema> = s.properties ?? {};
    if (s.required !== undefined && !s.required.every((k: string) => k in obj)) return false;
    for (const [k, v] of Object.entries(obj)) {
      if (s.propertyNames !== undefined && !conforms(k, s.propertyNames)) return false;
      const rule = k in properties ? properties[k] : s.additionalProperties;
      if (rule !== undefined && !conforms(v, rule)) return false;
    }
  }
  return true;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}
