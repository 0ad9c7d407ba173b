import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { Response } from 'supertest';

type Json = Record<string, unknown>;

/** OpenAPI 3.0's `nullable` as JSON Schema (ajv checks JSON Schema, not OpenAPI's dialect). */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) {
    return node.map(toJsonSchema);
  }
  if (!node || typeof node !== 'object') {
    return node;
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'nullable' && key !== 'example') {
      out[key] = toJsonSchema(value);
    }
  }
  if ((node as Json).nullable === true) {
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

/**
 * Checks real answers of the API against the OpenAPI document it serves: the operation must
 * exist, document the status it answered, and the body must match that status's schema.
 */
export class OpenApiConformance {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  /** `method path status` of every answer checked, to prove every operation was exercised. */
  readonly checked = new Set<string>();

  constructor(private readonly document: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema(
      { $id: 'openapi', components: toJsonSchema((document as { components: Json }).components) },
      'openapi',
    );
  }

  /** The documented path template an actual path matches, e.g. /api/comments/{id}. */
  template(path: string): string | null {
    const bare = path.split('?')[0];
    for (const template of Object.keys(this.document.paths as Json)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      if (pattern.test(bare)) {
        return template;
      }
    }
    return null;
  }

  /** Problems with this answer; an empty list when it conforms. */
  problems(method: string, path: string, res: Response): string[] {
    const template = this.template(path);
    if (!template) {
      return [`${method} ${path}: no such path in the document`];
    }
    const operation = (this.document.paths as Record<string, Record<string, Json>>)[template][
      method.toLowerCase()
    ];
    if (!operation) {
      return [`${method} ${template}: no such operation in the document`];
    }
    this.checked.add(`${method.toLowerCase()} ${template} ${res.status}`);
    const response = (operation.responses as Record<string, Json>)[String(res.status)];
    if (!response) {
      return [`${method} ${template}: answered ${res.status}, which is not documented`];
    }
    const schema = (response.content as Record<string, { schema: Json }> | undefined)?.[
      'application/json'
    ]?.schema;
    if (!schema) {
      return res.text ? [`${method} ${template} ${res.status}: a body, none documented`] : [];
    }
    const ref = String(schema.$ref).replace('#/components', 'openapi#/components');
    const validate = this.ajv.getSchema(ref) ?? this.ajv.compile({ $ref: ref });
    return validate(res.body)
      ? []
      : (validate.errors ?? []).map(
          (e) => `${method} ${template} ${res.status}: ${e.instancePath} ${e.message}`,
        );
  }
}
