import { readdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import protobuf from 'protobufjs'

/**
 * JSON Schemas of the protobuf messages, read from the .proto sources with protobufjs (the library
 * the generated code comes from), so the catalog's payloads are the same contract the code decodes.
 * Field names are the .proto names; enums are their value names; comments become descriptions.
 *
 * Why not AsyncAPI's `schemaFormat: application/vnd.google.protobuf;version=3` with the .proto text:
 * that needs a second parser package (@asyncapi/protobuf-schema-parser) to validate, and each
 * message would carry its file's text inline while alerts.proto imports telemetry.proto. A JSON
 * Schema validates with @asyncapi/parser alone, and keeps the wire facts as extensions: field
 * numbers (`x-protobuf-field`), protobuf types, enum numbers and the defining file.
 */
export type JsonSchema = Record<string, unknown>

export interface ProtoCatalog {
  /** Every .proto file, relative to the repository root, sorted. */
  files: string[]
  /** Fully qualified message or enum name → its schema; nested types are $refs into the same map. */
  schemas: Map<string, JsonSchema>
  /** The .proto file that defines a fully qualified type. */
  fileOf: (fullName: string) => string
}

/** `#/components/schemas/<name>`: the catalog keeps every proto type under its fully qualified name. */
export const protoSchemaRef = (fullName: string): string => `#/components/schemas/${fullName}`

const SCALARS: Record<string, JsonSchema> = {
  double: { type: 'number', format: 'double' },
  float: { type: 'number', format: 'float' },
  int32: { type: 'integer', format: 'int32' },
  sint32: { type: 'integer', format: 'int32' },
  sfixed32: { type: 'integer', format: 'int32' },
  uint32: { type: 'integer', format: 'int32', minimum: 0 },
  fixed32: { type: 'integer', format: 'int32', minimum: 0 },
  // proto/generate.sh passes --force-number: 64-bit fields are JS numbers in the code.
  int64: { type: 'integer', format: 'int64' },
  sint64: { type: 'integer', format: 'int64' },
  sfixed64: { type: 'integer', format: 'int64' },
  uint64: { type: 'integer', format: 'int64', minimum: 0 },
  fixed64: { type: 'integer', format: 'int64', minimum: 0 },
  bool: { type: 'boolean' },
  string: { type: 'string' },
  bytes: { type: 'string', contentEncoding: 'base64' },
}

function listProtos(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.proto'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
}

const fullNameOf = (obj: protobuf.ReflectionObject): string => obj.fullName.replace(/^\./, '')

function describe(schema: JsonSchema, comment: string | null): JsonSchema {
  return comment ? { description: comment.trim(), ...schema } : schema
}

function fieldSchema(field: protobuf.Field): JsonSchema {
  const target = field.resolvedType
  const item: JsonSchema = target
    ? { $ref: protoSchemaRef(fullNameOf(target)) }
    : (SCALARS[field.type] ?? { description: `protobuf type ${field.type}` })
  const base: JsonSchema = field.repeated ? { type: 'array', items: item } : item
  // A $ref must stand alone (JSON Schema draft 7), so a described reference wraps it in allOf.
  const wrapped = '$ref' in base && field.comment ? { allOf: [base] } : base
  return describe({ ...wrapped, 'x-protobuf-field': field.id, 'x-protobuf-type': field.type }, field.comment)
}

function messageSchema(type: protobuf.Type): JsonSchema {
  const properties: Record<string, JsonSchema> = {}
  for (const field of [...type.fieldsArray].sort((a, b) => a.id - b.id)) {
    properties[field.name] = fieldSchema(field)
  }
  return describe({ type: 'object', properties, 'x-protobuf-message': fullNameOf(type) }, type.comment)
}

function enumSchema(type: protobuf.Enum): JsonSchema {
  const names = Object.entries(type.values)
    .sort(([, a], [, b]) => a - b)
    .map(([name]) => name)
  return describe(
    { type: 'string', enum: names, 'x-protobuf-enum': { ...type.values } },
    type.comment ?? null,
  )
}

/** Loads every .proto under `protoRoot` (imports resolve against it, as in proto/generate.sh). */
export function loadProtoCatalog(repoRoot: string, protoRoot = resolve(repoRoot, 'proto')): ProtoCatalog {
  const files = listProtos(resolve(protoRoot, 'pulsewire'))
  const root = new protobuf.Root()
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : resolve(protoRoot, target))
  root.loadSync(files, { keepCase: true, alternateCommentMode: true })
  root.resolveAll()
  const schemas = new Map<string, JsonSchema>()
  const sources = new Map<string, string>()
  const visit = (ns: protobuf.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Type) schemas.set(fullNameOf(obj), messageSchema(obj))
      else if (obj instanceof protobuf.Enum) schemas.set(fullNameOf(obj), enumSchema(obj))
      if (obj instanceof protobuf.Type || obj instanceof protobuf.Enum) {
        sources.set(fullNameOf(obj), relative(repoRoot, obj.filename ?? ''))
      }
      if (obj instanceof protobuf.Namespace || obj instanceof protobuf.Type) visit(obj)
    }
  }
  visit(root)
  return {
    files: files.map((file) => relative(repoRoot, file)),
    schemas: new Map([...schemas].sort(([a], [b]) => a.localeCompare(b))),
    fileOf: (fullName) => sources.get(fullName) ?? '',
  }
}

/** The type and every message or enum it reaches, in name order: what a catalog has to carry. */
export function reachableTypes(catalog: ProtoCatalog, roots: readonly string[]): string[] {
  const seen = new Set<string>()
  const walk = (name: string): void => {
    if (seen.has(name)) return
    const schema = catalog.schemas.get(name)
    if (!schema) throw new Error(`no protobuf type ${name} in ${catalog.files.join(', ')}`)
    seen.add(name)
    for (const ref of JSON.stringify(schema).matchAll(/"#\/components\/schemas\/([^"]+)"/g))
      walk(ref[1] ?? '')
  }
  roots.forEach(walk)
  return [...seen].sort()
}
