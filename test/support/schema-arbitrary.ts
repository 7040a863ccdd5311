/**
 * fast-check arbitraries derived from the JSON Schemas (2020-12) of an OpenAPI 3.1 document:
 * VALID values of a schema, and INVALID mutations of a valid value (wrong type, out of range,
 * too long / too short, pattern or format mismatch, enum outside, unknown property on a closed
 * object, missing required property, too many / duplicate items, repeated form fields).
 *
 * Only what the generators need is interpreted: $ref (local, with sibling keywords), allOf
 * (merged), oneOf / anyOf (one branch), type (incl. type arrays and null), const, enum,
 * properties / required / additionalProperties / unevaluatedProperties, min/maxLength, pattern,
 * format, minimum / maximum / exclusive*, multipleOf, items / min/maxItems / uniqueItems.
 *
 * The project's own Ajv 2020-12 compiler is the oracle: every "valid" value is checked valid and
 * every "invalid" one checked invalid against the original schema, parsed the way the service
 * parses that location (JSON as sent; form fields, query and header values as coerced strings).
 * A generator that drifts from the document therefore filters (and shows up as skipped values)
 * instead of sending a wrongly classified request.
 */

import type { ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { type OpenApiDocument, pointer } from '../../src/pipeline/compile/document';
import { SchemaCompiler } from '../../src/pipeline/compile/schema-compiler';

export type Schema = Record<string, unknown>;

/**
 * Where values go:
 * - json: typed JSON body;
 * - form: application/x-www-form-urlencoded fields (strings; an empty field counts as absent);
 * - query: query parameters (strings; empty values are kept);
 * - header: header values (printable ASCII strings).
 */
export type Mode = 'json' | 'form' | 'query' | 'header';

/** A string-sourced object as sent: one value, or several for a repeated key. */
export type TextFields = Record<string, string | string[]>;

export interface Mutation {
  value: unknown;
  /** What was broken, e.g. `/price_cents: above maximum 100000000`. */
  reason: string;
}

const TYPES = ['string', 'number', 'integer', 'boolean', 'null', 'array', 'object'] as const;
type TypeName = (typeof TYPES)[number];

/** Generation caps for unbounded sizes (keep cases small and fast). */
const DEFAULT_MAX_STRING = 40;
const DEFAULT_MAX_ITEMS = 4;
/** Above this, "too long" strings stay near the limit rather than far beyond it. */
const MAX_OVERSHOOT = 40;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const codePoints = (s: string) => [...s].length;
const safeKey = (k: string) => k !== '__proto__' && k !== 'constructor' && k !== 'prototype';

/** A value's JSON type name (integers are 'integer'). */
export function typeOf(v: unknown): TypeName {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'object') return typeof v as TypeName;
  throw new Error(`not a JSON value: ${String(v)}`);
}

/** Encodes string-sourced fields as a query / form string (repeated keys for arrays). */
export function encodeFields(fields: TextFields): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
  return out.toString();
}

/** Parses a query / form string the way the service does (form: empty values dropped). */
export function parseFields(text: string, dropEmpty: boolean): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    if (dropEmpty && v === '') continue;
    if (!safeKey(k)) continue;
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** Some values of each JSON type, for "wrong type" mutations. */
function anyOfType(t: TypeName, mode: Mode): fc.Arbitrary<unknown> {
  switch (t) {
    case 'string':
      return fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('1', 'true', 'null', ''));
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d));
    case 'integer':
      return fc.oneof(fc.integer(), fc.constantFrom(0, -1, 1e20));
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(mode === 'json' ? fc.jsonValue({ maxDepth: 1 }) : fc.string({ maxLength: 4 }), { maxLength: 3 });
    case 'object':
      return fc.dictionary(fc.string({ maxLength: 6 }).filter(safeKey), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
  }
}

/** Strings that are not what a string-sourced value of type `t` must look like. */
function textNotOfType(t: TypeName): fc.Arbitrary<string> {
  switch (t) {
    case 'integer':
      return fc.oneof(
        fc.constantFrom('abc', '1.5', '0x10', '1e400', '--1', ' ', 'NaN', 'Infinity', '١٢'),
        fc.string({ minLength: 1, maxLength: 6 }),
      );
    case 'number':
      return fc.oneof(
        fc.constantFrom('abc', '0x1p3', '--1', 'NaN', 'Infinity'),
        fc.string({ minLength: 1, maxLength: 6 }),
      );
    case 'boolean':
      return fc.oneof(fc.constantFrom('yes', 'TRUE', '2', 'on'), fc.string({ minLength: 1, maxLength: 6 }));
    default:
      return fc.string({ minLength: 1, maxLength: 6 });
  }
}

/** Values of a few common string formats. */
function formatArbitrary(format: string): fc.Arbitrary<string> | undefined {
  switch (format) {
    case 'uuid':
      return fc.oneof(
        fc.uuid(),
        fc.uuid().map((u) => u.toUpperCase()),
      );
    case 'date-time':
      return fc
        .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true })
        .map((d) => d.toISOString());
    case 'date':
      return fc
        .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T00:00:00Z'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10));
    case 'email':
      return fc.emailAddress();
    case 'uri':
      return fc.webUrl();
    case 'ipv4':
      return fc.ipV4();
    case 'ipv6':
      return fc.ipV6();
    default:
      return undefined;
  }
}

/** Strings that are not of `format` (the oracle drops the few that happen to be). */
function notOfFormat(format: string): fc.Arbitrary<string> {
  const near: Record<string, string[]> = {
    uuid: [
      'not-a-uuid',
      '3f1c7a4e-2b8d-4c1e-9a57-6d0e8b2f4a9',
      '3f1c7a4e-2b8d-4c1e-9a57-6d0e8b2f4a911',
      '3f1c7a4e2b8d4c1e9a576d0e8b2f4a91',
      'g3f1c7a4-2b8d-4c1e-9a57-6d0e8b2f4a91',
      '{3f1c7a4e-2b8d-4c1e-9a57-6d0e8b2f4a91}',
    ],
    'date-time': ['2026-13-01T00:00:00Z', '2026-11-26 12:00', 'yesterday'],
    email: ['no-at-sign', '@example.com', 'a@'],
  };
  return fc.oneof(fc.constantFrom(...(near[format] ?? ['%%%'])), fc.string({ minLength: 1, maxLength: 12 }));
}

/** Turns a generated value into what `mode` sends: strings for text modes. */
function toText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export class SchemaArbitraries {
  private readonly compiler: SchemaCompiler;
  private readonly oracles = new Map<string, ValidateFunction>();

  constructor(private readonly doc: OpenApiDocument) {
    this.compiler = new SchemaCompiler(doc);
  }

  // ---------------------------------------------------------------- schema normalisation

  /** Follows `$ref` (local; sibling keywords kept) and merges `allOf` into one schema. */
  normalise(input: unknown): Schema {
    let s = (input ?? {}) as Schema;
    const seen = new Set<string>();
    while (typeof s.$ref === 'string') {
      const ref = s.$ref;
      if (!ref.startsWith('#/') || seen.has(ref)) throw new Error(`unsupported or circular $ref ${ref}`);
      seen.add(ref);
      const target = pointer(this.doc, ref.slice(1)) as Schema | undefined;
      if (!target) throw new Error(`unresolved $ref ${ref}`);
      const { $ref: _drop, ...siblings } = s;
      s = { ...target, ...siblings };
    }
    if (Array.isArray(s.allOf)) {
      const { allOf, ...rest } = s;
      let out: Schema = rest;
      for (const sub of allOf) out = this.merge(out, this.normalise(sub));
      return out;
    }
    return s;
  }

  /** Conjunction of two normalised schemas, for the keywords this module interprets. */
  private merge(a: Schema, b: Schema): Schema {
    const out: Schema = { ...b, ...a };
    if (a.properties || b.properties) {
      const props: Record<string, unknown> = { ...((b.properties as object) ?? {}) };
      for (const [k, v] of Object.entries((a.properties as Record<string, unknown>) ?? {})) {
        props[k] = k in props ? this.merge(this.normalise(props[k]), this.normalise(v)) : v;
      }
      out.properties = props;
    }
    if (a.required || b.required)
      out.required = [...new Set([...((a.required as string[]) ?? []), ...((b.required as string[]) ?? [])])];
    if (a.type && b.type) {
      const ta = ([] as string[]).concat(a.type as string[]);
      const tb = ([] as string[]).concat(b.type as string[]);
      out.type = ta.filter((t) => tb.includes(t) || (t === 'integer' && tb.includes('number')));
    }
    for (const k of ['additionalProperties', 'unevaluatedProperties'] as const) {
      if (a[k] === false || b[k] === false) out[k] = false;
    }
    return out;
  }

  /** The JSON types a normalised schema admits (inferred from its keywords when `type` is absent). */
  typesOf(s: Schema): TypeName[] {
    if (s.type !== undefined) return ([] as TypeName[]).concat(s.type as TypeName[]);
    if ('const' in s) return [typeOf(s.const)];
    if (Array.isArray(s.enum)) return [...new Set(s.enum.map(typeOf))];
    if (s.properties || s.required || s.additionalProperties !== undefined || s.unevaluatedProperties !== undefined)
      return ['object'];
    if (s.items || s.minItems !== undefined || s.maxItems !== undefined) return ['array'];
    if (s.pattern || s.format || s.minLength !== undefined || s.maxLength !== undefined) return ['string'];
    if (s.minimum !== undefined || s.maximum !== undefined) return ['number'];
    return [...TYPES];
  }

  private closed(s: Schema): boolean {
    return s.additionalProperties === false || s.unevaluatedProperties === false;
  }

  private branches(s: Schema): Schema[] | undefined {
    const list = (s.oneOf ?? s.anyOf) as unknown[] | undefined;
    if (!Array.isArray(list)) return undefined;
    const { oneOf: _o, anyOf: _a, ...parent } = s;
    return list.map((b) => this.merge(parent, this.normalise(b)));
  }

  // ---------------------------------------------------------------- oracle

  /** Whether `value` (as sent in `mode`) is valid against `schema`, per the service's own Ajv. */
  isValid(schema: unknown, value: unknown, mode: Mode): boolean {
    const key = `${mode}:${JSON.stringify(schema)}`;
    let validate = this.oracles.get(key);
    if (!validate) {
      validate = mode === 'json' ? this.compiler.compileBody(schema) : this.compiler.compileCoercing(schema);
      this.oracles.set(key, validate);
    }
    return validate(this.asReceived(schema, value, mode));
  }

  /** A string-sourced value as the service hands it to its validator. */
  private asReceived(schema: unknown, value: unknown, mode: Mode): unknown {
    if (mode === 'json') return structuredClone(value);
    if (!isObject(value)) return value;
    // Objects of fields: encode and parse back exactly as the service does.
    const parsed: Record<string, unknown> = parseFields(encodeFields(value as TextFields), mode === 'form');
    if (mode === 'form') return parsed;
    // Parameters: a repeated key becomes an array; one value stays scalar unless the schema wants an array.
    const props = (this.normalise(schema).properties as Record<string, unknown>) ?? {};
    for (const [k, v] of Object.entries(parsed)) {
      if (Array.isArray(v) && v.length === 1 && !this.typesOf(this.normalise(props[k])).includes('array'))
        parsed[k] = v[0];
    }
    return parsed;
  }

  // ---------------------------------------------------------------- valid values

  /** Valid values of `schema` as sent in `mode` (text modes: objects of string fields). */
  valid(schema: unknown, mode: Mode = 'json'): fc.Arbitrary<unknown> {
    return this.validRaw(schema, mode).filter((v) => this.isValid(schema, v, mode));
  }

  private validRaw(input: unknown, mode: Mode, depth = 0): fc.Arbitrary<unknown> {
    const s = this.normalise(input);
    const text = mode !== 'json' && depth > 0;
    const out = (a: fc.Arbitrary<unknown>) => (text ? a.map(toText) : a);
    if ('const' in s) return out(fc.constant(s.const));
    if (Array.isArray(s.enum)) return out(fc.constantFrom(...(s.enum as unknown[])));
    const branches = this.branches(s);
    if (branches) return fc.oneof(...branches.map((b) => this.validRaw(b, mode, depth)));
    const types = this.typesOf(s);
    return fc.oneof(...types.map((t) => this.validOfType(s, t, mode, depth)));
  }

  private validOfType(s: Schema, t: TypeName, mode: Mode, depth: number): fc.Arbitrary<unknown> {
    const text = mode !== 'json' && depth > 0;
    switch (t) {
      case 'string':
        return this.validString(s, mode);
      case 'integer':
      case 'number': {
        const a = this.validNumber(s, t);
        return text ? a.map(String) : a;
      }
      case 'boolean':
        return text ? fc.constantFrom('true', 'false') : fc.boolean();
      case 'null':
        return text ? fc.constant('') : fc.constant(null);
      case 'array':
        return this.validArray(s, mode, depth);
      case 'object':
        return this.validObject(s, mode, depth);
    }
  }

  private validString(s: Schema, mode: Mode): fc.Arbitrary<string> {
    // A form field sent empty counts as absent: generate at least one character.
    const min = Math.max((s.minLength as number) ?? 0, mode === 'form' ? 1 : 0);
    const max = (s.maxLength as number | undefined) ?? Math.max(min + DEFAULT_MAX_STRING, DEFAULT_MAX_STRING);
    const fits = (v: string) => codePoints(v) >= min && codePoints(v) <= max;
    if (typeof s.format === 'string') {
      const f = formatArbitrary(s.format);
      if (!f) throw new Error(`schema-arbitrary: format "${s.format}" is not supported; add it`);
      return f.filter(fits);
    }
    if (typeof s.pattern === 'string') {
      const re = new RegExp(s.pattern, 'u');
      return fc.stringMatching(re, { maxLength: max }).filter((v) => fits(v) && (mode !== 'header' || isHeaderSafe(v)));
    }
    if (mode === 'header')
      return fc
        .string({ unit: headerChar, minLength: min, maxLength: Math.min(max, DEFAULT_MAX_STRING) })
        .filter(isHeaderSafe);
    const small = Math.min(max, min + DEFAULT_MAX_STRING);
    return fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: min, maxLength: small }) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: min, maxLength: small }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: min, maxLength: small }) },
      {
        weight: 1,
        arbitrary: fc.string({ unit: awkwardChar, minLength: min, maxLength: Math.min(small, 12) }).filter(fits),
      },
      // Right at the limit.
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: max, maxLength: max }) },
    );
  }

  private bounds(s: Schema, t: 'integer' | 'number'): { min: number | undefined; max: number | undefined } {
    let min = s.minimum as number | undefined;
    let max = s.maximum as number | undefined;
    if (typeof s.exclusiveMinimum === 'number')
      min = Math.max(min ?? -Infinity, t === 'integer' ? Math.floor(s.exclusiveMinimum) + 1 : s.exclusiveMinimum);
    if (typeof s.exclusiveMaximum === 'number')
      max = Math.min(max ?? Infinity, t === 'integer' ? Math.ceil(s.exclusiveMaximum) - 1 : s.exclusiveMaximum);
    return { min, max };
  }

  private validNumber(s: Schema, t: 'integer' | 'number'): fc.Arbitrary<number> {
    const { min, max } = this.bounds(s, t);
    const multipleOf = s.multipleOf as number | undefined;
    if (multipleOf !== undefined) {
      const lo = Math.ceil((min ?? -1e6) / multipleOf);
      const hi = Math.floor((max ?? 1e6) / multipleOf);
      return fc.integer({ min: lo, max: hi }).map((k) => k * multipleOf);
    }
    if (t === 'integer') {
      return fc.integer({
        min: min === undefined ? -(2 ** 31) : Math.ceil(min),
        max: max === undefined ? 2 ** 31 - 1 : Math.floor(max),
      });
    }
    return fc
      .double({
        min: min ?? -1e9,
        max: max ?? 1e9,
        minExcluded: typeof s.exclusiveMinimum === 'number' && s.exclusiveMinimum === min,
        maxExcluded: typeof s.exclusiveMaximum === 'number' && s.exclusiveMaximum === max,
        noNaN: true,
        noDefaultInfinity: true,
      })
      .map((d) => (Object.is(d, -0) ? 0 : d));
  }

  private validArray(s: Schema, mode: Mode, depth: number): fc.Arbitrary<unknown[]> {
    const item =
      s.items === undefined
        ? mode === 'json'
          ? fc.jsonValue({ maxDepth: 1 })
          : fc.string({ maxLength: 6 })
        : this.validRaw(s.items, mode, depth + 1);
    const minLength = (s.minItems as number) ?? 0;
    const maxLength = (s.maxItems as number | undefined) ?? Math.max(minLength, DEFAULT_MAX_ITEMS);
    if (s.uniqueItems === true)
      return fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) });
    return fc.array(item, { minLength, maxLength });
  }

  private validObject(s: Schema, mode: Mode, depth: number): fc.Arbitrary<Record<string, unknown>> {
    const props = (s.properties as Record<string, unknown>) ?? {};
    const required = ((s.required as string[]) ?? []).filter(safeKey);
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [k, v] of Object.entries(props)) model[k] = this.validRaw(v, mode, depth + 1);
    for (const k of required)
      model[k] ??= mode === 'json' ? fc.jsonValue({ maxDepth: 1 }) : fc.string({ minLength: 1, maxLength: 6 });
    const known = fc.record(model, { requiredKeys: required });
    if (this.closed(s)) return known;
    // Open objects: unknown members are valid too, and worth sending.
    const extraValue = isObject(s.additionalProperties)
      ? this.validRaw(s.additionalProperties, mode, depth + 1)
      : mode === 'json'
        ? fc.jsonValue({ maxDepth: 1 })
        : fc.string({ minLength: 1, maxLength: 8 });
    // Extra headers must be valid field names, and not ones that change the request's meaning.
    const extraKey = (
      mode === 'header' ? fc.stringMatching(/^x-[a-z0-9-]{1,12}$/) : fc.string({ minLength: 1, maxLength: 10 })
    ).filter((k) => safeKey(k) && !(k in model));
    return fc
      .tuple(known, fc.dictionary(extraKey, extraValue, { maxKeys: 2 }))
      .map(([k, extra]) => ({ ...extra, ...k }));
  }

  // ---------------------------------------------------------------- invalid values

  /** Invalid values of `schema` in `mode`: a valid value with one thing broken. */
  invalid(schema: unknown, mode: Mode = 'json'): fc.Arbitrary<Mutation> {
    return this.validRaw(schema, mode)
      .chain((v) => this.mutate(schema, v, mode, ''))
      .filter((m) => !this.isValid(schema, m.value, mode));
  }

  /** One mutation of `value` (valid against `input`), as the root of a new value. */
  mutate(input: unknown, value: unknown, mode: Mode, at: string, depth = 0): fc.Arbitrary<Mutation> {
    const options = this.mutations(input, value, mode, at, depth);
    if (options.length === 0) throw new Error(`schema-arbitrary: no way to break a value at "${at || '/'}"`);
    return fc.oneof(...options);
  }

  private mutations(input: unknown, value: unknown, mode: Mode, at: string, depth: number): fc.Arbitrary<Mutation>[] {
    const s = this.normalise(input);
    const text = mode !== 'json' && depth > 0;
    const where = at || '/';
    const out: fc.Arbitrary<Mutation>[] = [];
    const m = (a: fc.Arbitrary<unknown>, reason: string) =>
      out.push(a.map((v) => ({ value: v, reason: `${where}: ${reason}` })));

    // Wrong type: JSON types the schema does not admit; for text, strings that do not parse as the type.
    const types = this.branches(s)?.flatMap((b) => this.typesOf(b)) ?? this.typesOf(s);
    if (!text) {
      if (mode === 'json' || depth === 0) {
        const wrong = TYPES.filter((t) => !types.includes(t) && !(t === 'integer' && types.includes('number')));
        if (mode === 'json' && wrong.length)
          m(
            fc.constantFrom(...wrong).chain((t) => anyOfType(t, mode)),
            'wrong type',
          );
      }
    } else if (!types.includes('string')) {
      const t = types.find((x) => x !== 'null') ?? 'null';
      m(textNotOfType(t), `not a${t === 'integer' ? 'n' : ''} ${t}`);
    }

    if ('const' in s) {
      m(
        text
          ? fc.string({ minLength: 1, maxLength: 8 })
          : fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean()),
        `not ${JSON.stringify(s.const)}`,
      );
    }
    if (Array.isArray(s.enum)) {
      const e = s.enum as unknown[];
      const near = e
        .filter((x): x is string => typeof x === 'string')
        .flatMap((x) => [x.toUpperCase(), `${x} `, x.slice(0, -1)]);
      m(
        fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), ...(near.length ? [fc.constantFrom(...near)] : [])),
        'outside the enum',
      );
    }

    const branches = this.branches(s);
    if (branches) {
      // Break the value within the branch it matches.
      const mine = branches.find(
        (b) => this.isValid(b, value, text ? 'query' : 'json') || this.typesOf(b).includes(typeOf(value)),
      );
      if (mine) out.push(...this.mutations(mine, value, mode, at, depth));
      return out;
    }

    const t =
      typeof value === 'string' && text
        ? (types.find((x) => x !== 'null' && x !== 'string') ?? 'string')
        : typeOf(value);
    if (typeof value === 'string' && (!text || types.includes('string')))
      out.push(...this.stringMutations(s, value, mode, where));
    else if ((t === 'integer' || t === 'number') && (types.includes('integer') || types.includes('number')))
      out.push(...this.numberMutations(s, types, text, where));
    else if (Array.isArray(value)) out.push(...this.arrayMutations(s, value, mode, at, depth));
    else if (isObject(value)) out.push(...this.objectMutations(s, value, mode, at, depth));
    return out;
  }

  private stringMutations(s: Schema, value: string, mode: Mode, where: string): fc.Arbitrary<Mutation>[] {
    const out: fc.Arbitrary<Mutation>[] = [];
    const m = (a: fc.Arbitrary<string>, reason: string) =>
      out.push(a.map((v) => ({ value: v, reason: `${where}: ${reason}` })));
    const unit = mode === 'header' ? headerChar : 'grapheme-ascii';
    if (typeof s.maxLength === 'number') {
      const max = s.maxLength;
      m(
        fc.string({ unit, minLength: max + 1, maxLength: max + (max > 4096 ? 4 : MAX_OVERSHOOT) }),
        `longer than ${max}`,
      );
      // The valid value padded past the limit (keeps any pattern's prefix).
      m(fc.constant(value + 'x'.repeat(Math.max(1, max + 1 - codePoints(value)))), `padded past ${max}`);
    }
    if (typeof s.minLength === 'number' && s.minLength > 0) {
      m(fc.string({ unit, maxLength: s.minLength - 1 }), `shorter than ${s.minLength}`);
    }
    if (typeof s.pattern === 'string') {
      const re = new RegExp(s.pattern, 'u');
      const max = (s.maxLength as number | undefined) ?? DEFAULT_MAX_STRING;
      m(
        fc
          .oneof(
            fc.string({ unit, maxLength: Math.min(max, 20) }),
            fc.string({ unit: 'binary', maxLength: Math.min(max, 20) }),
            fc.constantFrom(' ', '\t', value.toUpperCase(), `${value}!`, `\u00e9${value}`),
          )
          .filter((v) => !re.test(v) && (mode !== 'header' || isHeaderSafe(v))),
        `not matching ${s.pattern}`,
      );
    }
    if (typeof s.format === 'string')
      m(
        notOfFormat(s.format).filter((v) => mode !== 'header' || isHeaderSafe(v)),
        `not a ${s.format}`,
      );
    return out;
  }

  private numberMutations(s: Schema, types: TypeName[], text: boolean, where: string): fc.Arbitrary<Mutation>[] {
    const out: fc.Arbitrary<Mutation>[] = [];
    const m = (a: fc.Arbitrary<number>, reason: string) =>
      out.push(a.map((v) => ({ value: text ? String(v) : v, reason: `${where}: ${reason}` })));
    const integer = types.includes('integer') && !types.includes('number');
    const { min, max } = this.bounds(s, integer ? 'integer' : 'number');
    if (min !== undefined)
      m(
        fc.oneof(
          fc.integer({ min: Math.max(Number.MIN_SAFE_INTEGER, Math.ceil(min) - 1_000_000), max: Math.ceil(min) - 1 }),
          fc.constant(-1e20),
        ),
        `below minimum ${min}`,
      );
    if (max !== undefined)
      m(
        fc.oneof(
          fc.integer({ min: Math.floor(max) + 1, max: Math.min(Number.MAX_SAFE_INTEGER, Math.floor(max) + 1_000_000) }),
          fc.constant(1e20),
          fc.constant(2 ** 63),
        ),
        `above maximum ${max}`,
      );
    if (integer) {
      const lo = min ?? -1e6;
      const hi = max ?? 1e6;
      m(
        fc.double({ min: lo, max: hi, noNaN: true }).filter((d) => !Number.isInteger(d)),
        'not an integer',
      );
    }
    if (typeof s.multipleOf === 'number') {
      const step = s.multipleOf;
      m(
        fc.integer({ min: 0, max: 1000 }).map((k) => k * step + step / 2),
        `not a multiple of ${step}`,
      );
    }
    return out;
  }

  private arrayMutations(s: Schema, value: unknown[], mode: Mode, at: string, depth: number): fc.Arbitrary<Mutation>[] {
    const out: fc.Arbitrary<Mutation>[] = [];
    const where = at || '/';
    const item = s.items === undefined ? fc.jsonValue({ maxDepth: 1 }) : this.validRaw(s.items, mode, depth + 1);
    if (typeof s.maxItems === 'number') {
      const n = s.maxItems + 1;
      const many =
        s.uniqueItems === true
          ? fc.uniqueArray(item, { minLength: n, maxLength: n + 2, selector: (v) => JSON.stringify(v) })
          : fc.array(item, { minLength: n, maxLength: n + 2 });
      out.push(many.map((v) => ({ value: v, reason: `${where}: more than ${s.maxItems} items` })));
    }
    if (typeof s.minItems === 'number' && s.minItems > 0) {
      out.push(
        fc.constant({ value: value.slice(0, s.minItems - 1), reason: `${where}: fewer than ${s.minItems} items` }),
      );
    }
    if (s.uniqueItems === true) {
      const dup = value.length > 0 ? fc.constant([...value, value[0]]) : item.map((x) => [x, x]);
      out.push(dup.map((v) => ({ value: v, reason: `${where}: duplicate items` })));
    }
    if (s.items !== undefined) {
      // One item broken (an existing one, or a new one appended).
      const index = value.length > 0 ? fc.nat({ max: value.length - 1 }) : fc.constant(0);
      out.push(
        index.chain((i) => {
          const base = value.length > 0 ? fc.constant(value[i]) : item;
          return base
            .chain((x) => this.mutate(s.items, x, mode, `${at}/${i}`, depth + 1))
            .map((mu) => {
              const copy = [...value];
              copy[i] = mu.value;
              return { value: copy, reason: mu.reason };
            });
        }),
      );
    }
    return out;
  }

  private objectMutations(
    s: Schema,
    value: Record<string, unknown>,
    mode: Mode,
    at: string,
    depth: number,
  ): fc.Arbitrary<Mutation>[] {
    const out: fc.Arbitrary<Mutation>[] = [];
    const props = (s.properties as Record<string, unknown>) ?? {};
    const required = ((s.required as string[]) ?? []).filter((k) => k in value);
    if (required.length) {
      out.push(
        fc.constantFrom(...required).map((k) => {
          const { [k]: _gone, ...rest } = value;
          return { value: rest, reason: `${at}/${k}: missing (required)` };
        }),
      );
    }
    if (this.closed(s)) {
      const key = fc.oneof(
        fc.string({ minLength: 1, maxLength: 12, unit: mode === 'header' ? headerChar : 'grapheme-ascii' }),
        fc.constantFrom('id', 'version', 'admin', 'Name', 'extra'),
      );
      const extra = mode === 'json' ? fc.jsonValue({ maxDepth: 1 }) : fc.string({ minLength: 1, maxLength: 8 });
      out.push(
        fc
          .tuple(
            key.filter((k) => safeKey(k) && !(k in props)),
            extra,
          )
          .map(([k, v]) => ({ value: { ...value, [k]: v }, reason: `${at}/${k}: unknown property` })),
      );
    }
    if (mode === 'form' || mode === 'query') {
      // A repeated field: each named parameter may appear at most once.
      const scalars = Object.keys(props).filter(
        (k) =>
          !this.typesOf(this.normalise(props[k])).includes('array') && typeof value[k] === 'string' && value[k] !== '',
      );
      if (scalars.length) {
        out.push(
          fc.constantFrom(...scalars).map((k) => ({
            value: { ...value, [k]: [value[k] as string, value[k] as string] },
            reason: `${at}/${k}: repeated`,
          })),
        );
      }
    }
    const names = Object.keys(props).filter(safeKey);
    if (names.length) {
      out.push(
        fc.constantFrom(...names).chain((k) => {
          const current = k in value ? fc.constant(value[k]) : this.validRaw(props[k], mode, depth + 1);
          return current
            .chain((v) => this.mutate(props[k], v, mode, `${at}/${k}`, depth + 1))
            .map((mu) => ({ value: { ...value, [k]: mu.value }, reason: mu.reason }));
        }),
      );
    }
    return out;
  }
}

/** Characters that trip up parsers, databases and normalisation (NUL, BOM, separators, astral, combining, quotes). */
const awkwardChar = fc.constantFrom(
  '\u0000',
  '\u0001',
  '\u007f',
  '\u00a0',
  '\u200b',
  '\u2028',
  '\ufeff',
  '\u{1F600}',
  'e\u0301',
  '"',
  '\\',
  "'",
  '%',
  '<',
  ' ',
  '\t',
  '\n',
  'a',
);

/** Printable ASCII, the characters a header value may safely carry. */
const headerChar = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));

/** Whether `v` survives as a header value unchanged (no control characters, no edge whitespace). */
export function isHeaderSafe(v: string): boolean {
  return /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(v) || v === '';
}
