/**
 * A validator for OCSF events built from the schema *source* in shared/ocsf/1.1.0 (not a
 * compiled JSON Schema): it resolves a class's `extends` chain, its `$include`s (attribute sets
 * and profiles) and the dictionary's types and enums, then checks an event — required
 * attributes (profile attributes only when the event names the profile in metadata.profiles),
 * unknown attributes, types (with the dictionary's base types and patterns), arrays, enum ids,
 * the class/category/type ids, and objects recursively (their own extends, requirements and
 * at_least_one constraints). Hand-written because no maintained JavaScript library reads the
 * OCSF source format; the OCSF server that does is an Elixir application.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const OCSF_ROOT = path.resolve(import.meta.dirname, '../../../shared/ocsf/1.1.0');

type Json = Record<string, any>;

interface AttributeDef {
  readonly name: string;
  readonly type: string;
  readonly isArray: boolean;
  readonly requirement: string;
  readonly enumIds?: ReadonlySet<number>;
  readonly profile?: string | null;
}

export interface ResolvedClass {
  readonly name: string;
  readonly uid: number;
  readonly categoryUid: number;
  readonly attributes: ReadonlyMap<string, AttributeDef>;
  readonly profiles: readonly string[];
  readonly constraints?: Json;
}

const read = (file: string): Json => JSON.parse(readFileSync(path.join(OCSF_ROOT, file), 'utf8'));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const full = path.join(dir, f);
    return statSync(full).isDirectory() ? walk(full) : full.endsWith('.json') ? [full] : [];
  });
}

export class OcsfSchema {
  private readonly dictionary = read('dictionary.json');
  private readonly categories = read('categories.json').attributes as Json;
  private readonly events = new Map<string, Json>();
  private readonly objects = new Map<string, Json>();
  private readonly classCache = new Map<string, ResolvedClass>();

  constructor() {
    for (const file of walk(path.join(OCSF_ROOT, 'events'))) {
      const def = JSON.parse(readFileSync(file, 'utf8')) as Json;
      this.events.set(def.name, def);
    }
    for (const file of walk(path.join(OCSF_ROOT, 'objects'))) {
      const def = JSON.parse(readFileSync(file, 'utf8')) as Json;
      this.objects.set(def.name, def);
    }
  }

  /** A class's own and inherited attribute definitions, before dictionary lookup (raw merge). */
  private rawAttributes(def: Json, lookup: (name: string) => Json | undefined): { attrs: Record<string, Json>; profiles: string[] } {
    let attrs: Record<string, Json> = {};
    let profiles: string[] = [];
    if (def.extends) {
      const parent = lookup(def.extends);
      if (!parent) throw new Error(`${def.name} extends unknown ${def.extends}`);
      ({ attrs, profiles } = this.rawAttributes(parent, lookup));
      attrs = structuredClone(attrs);
    }
    profiles = [...new Set([...profiles, ...(def.profiles ?? [])])];
    const own = def.attributes ?? {};
    for (const include of own.$include ?? []) {
      const inc = read(include);
      const group = inc.annotations?.group;
      const profile = inc.meta === 'profile' ? inc.name : undefined;
      for (const [name, a] of Object.entries(inc.attributes ?? {})) {
        attrs[name] = { ...attrs[name], ...(group && { group }), ...(a as Json), ...(profile !== undefined && { profile }) };
      }
    }
    for (const [name, a] of Object.entries(own)) {
      if (name === '$include') continue;
      const merged = { ...attrs[name], ...(a as Json) };
      // Enum values add up along the chain (the dictionary's 0/99 plus the class's own).
      if (attrs[name]?.enum && (a as Json).enum) merged.enum = { ...attrs[name]!.enum, ...(a as Json).enum };
      attrs[name] = merged;
    }
    return { attrs, profiles };
  }

  private toDefs(raw: Record<string, Json>): Map<string, AttributeDef> {
    const defs = new Map<string, AttributeDef>();
    for (const [name, a] of Object.entries(raw)) {
      const dict = this.dictionary.attributes[name] as Json | undefined;
      if (!dict) throw new Error(`attribute ${name} is not in the dictionary`);
      const enumSource = { ...(dict.enum ?? {}), ...(a.enum ?? {}) };
      defs.set(name, {
        name,
        type: a.type ?? dict.type,
        isArray: Boolean(a.is_array ?? dict.is_array),
        requirement: a.requirement ?? dict.requirement ?? 'optional',
        ...(Object.keys(enumSource).length > 0 && { enumIds: new Set(Object.keys(enumSource).map(Number)) }),
        profile: a.profile ?? null,
      });
    }
    return defs;
  }

  resolveClass(name: string): ResolvedClass {
    const cached = this.classCache.get(name);
    if (cached) return cached;
    const def = this.events.get(name);
    if (!def) throw new Error(`no OCSF class ${name}`);
    const { attrs, profiles } = this.rawAttributes(def, (n) => this.events.get(n));
    let category: string | undefined;
    for (let d: Json | undefined = def; d && !category; d = d.extends ? this.events.get(d.extends) : undefined) category = d.category;
    const categoryUid = category && category !== 'other' ? (this.categories[category]?.uid as number) : 0;
    const uid = name === 'base_event' ? 0 : categoryUid * 1000 + (def.uid as number);
    const attributes = this.toDefs(attrs);
    // The OCSF server compiles each class's own uid and its category's into these two enums.
    for (const [attr, id] of [
      ['class_uid', uid],
      ['category_uid', categoryUid],
    ] as const) {
      const a = attributes.get(attr);
      if (a) attributes.set(attr, { ...a, enumIds: new Set([id]) });
    }
    const resolved: ResolvedClass = {
      name,
      uid,
      categoryUid,
      attributes,
      profiles,
      ...(def.constraints && { constraints: def.constraints }),
    };
    this.classCache.set(name, resolved);
    return resolved;
  }

  classByUid(uid: number): ResolvedClass {
    for (const name of this.events.keys()) {
      const c = this.resolveClass(name);
      if (c.uid === uid && this.events.get(name)!.uid !== undefined) return c;
    }
    throw new Error(`no OCSF class with uid ${uid}`);
  }

  private resolveObject(name: string): { attributes: Map<string, AttributeDef>; constraints?: Json } {
    const def = this.objects.get(name);
    if (!def) throw new Error(`no OCSF object ${name}`);
    const { attrs } = this.rawAttributes(def, (n) => this.objects.get(n));
    let constraints: Json | undefined;
    for (let d: Json | undefined = def; d && !constraints; d = d.extends ? this.objects.get(d.extends) : undefined)
      constraints = d.constraints;
    return { attributes: this.toDefs(attrs), ...(constraints && { constraints }) };
  }

  /** Every problem found in `event`, as `path: what is wrong`; empty when it is valid. */
  validate(event: Json): string[] {
    const problems: string[] = [];
    let resolved: ResolvedClass;
    try {
      resolved = this.classByUid(event.class_uid);
    } catch (error) {
      return [`class_uid: ${(error as Error).message}`];
    }
    const profiles = new Set<string>(Array.isArray(event.metadata?.profiles) ? event.metadata.profiles : []);
    for (const p of profiles)
      if (!resolved.profiles.includes(p)) problems.push(`metadata.profiles: the class ${resolved.name} does not support profile ${p}`);
    this.checkAttributes(event, resolved.attributes, resolved.constraints, profiles, '', problems);
    if (event.class_uid !== resolved.uid) problems.push(`class_uid: ${event.class_uid} is not ${resolved.uid}`);
    if (event.category_uid !== resolved.categoryUid)
      problems.push(`category_uid: ${event.category_uid} is not ${resolved.categoryUid} (class ${resolved.name})`);
    if (event.type_uid !== resolved.uid * 100 + event.activity_id)
      problems.push(`type_uid: ${event.type_uid} is not class_uid * 100 + activity_id`);
    return problems;
  }

  private checkAttributes(
    value: Json,
    attributes: ReadonlyMap<string, AttributeDef>,
    constraints: Json | undefined,
    profiles: ReadonlySet<string>,
    at: string,
    problems: string[],
  ): void {
    const active = (a: AttributeDef) => !a.profile || profiles.has(a.profile);
    for (const a of attributes.values()) {
      if (a.requirement === 'required' && active(a) && (value[a.name] === undefined || value[a.name] === null))
        problems.push(`${at}${a.name}: required`);
    }
    for (const [name, v] of Object.entries(value)) {
      const a = attributes.get(name);
      if (!a) {
        problems.push(`${at}${name}: not an attribute here`);
        continue;
      }
      if (!active(a)) problems.push(`${at}${name}: belongs to profile ${a.profile}, which metadata.profiles does not name`);
      if (v === null || v === undefined) continue;
      if (a.isArray) {
        if (!Array.isArray(v)) problems.push(`${at}${name}: should be an array`);
        else for (const [i, item] of v.entries()) this.checkValue(item, a, profiles, `${at}${name}[${i}]`, problems);
      } else this.checkValue(v, a, profiles, `${at}${name}`, problems);
    }
    const atLeastOne = constraints?.at_least_one as string[] | undefined;
    if (atLeastOne && !atLeastOne.some((n) => value[n] !== undefined && value[n] !== null))
      problems.push(`${at || '(event) '}needs at least one of ${atLeastOne.join(', ')}`);
    const justOne = constraints?.just_one as string[] | undefined;
    if (justOne && justOne.filter((n) => value[n] !== undefined && value[n] !== null).length !== 1)
      problems.push(`${at || '(event) '}needs exactly one of ${justOne.join(', ')}`);
  }

  private checkValue(v: unknown, a: AttributeDef, profiles: ReadonlySet<string>, at: string, problems: string[]): void {
    if (a.enumIds && !(typeof v === 'number' && a.enumIds.has(v)))
      problems.push(`${at}: ${JSON.stringify(v)} is not one of the enum ids ${[...a.enumIds].join(', ')}`);
    if (a.type.endsWith('_t')) {
      const why = this.checkPrimitive(v, a.type);
      if (why) problems.push(`${at}: ${why}`);
      return;
    }
    if (a.type === 'object') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) problems.push(`${at}: should be an object`);
      return;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      problems.push(`${at}: should be a ${a.type} object`);
      return;
    }
    const object = this.resolveObject(a.type);
    this.checkAttributes(v as Json, object.attributes, object.constraints, profiles, `${at}.`, problems);
  }

  private checkPrimitive(v: unknown, type: string): string | undefined {
    const types = this.dictionary.types.attributes as Json;
    const def = types[type] as Json | undefined;
    if (!def) return `unknown type ${type}`;
    const base = def.type ?? type;
    switch (base) {
      case 'string_t':
        if (typeof v !== 'string') return `${JSON.stringify(v)} is not a string (${type})`;
        if (def.regex && !new RegExp(def.regex).test(v)) return `'${v}' does not match ${type}`;
        return undefined;
      case 'integer_t':
      case 'long_t':
        if (typeof v !== 'number' || !Number.isInteger(v)) return `${JSON.stringify(v)} is not an integer (${type})`;
        if (def.range && (v < def.range[0] || v > def.range[1])) return `${v} is outside ${def.range.join('–')}`;
        return undefined;
      case 'float_t':
        return typeof v === 'number' ? undefined : `${JSON.stringify(v)} is not a number`;
      case 'boolean_t':
        return typeof v === 'boolean' ? undefined : `${JSON.stringify(v)} is not a boolean`;
      case 'json_t':
        return undefined;
      default:
        return `unhandled base type ${base}`;
    }
  }
}
