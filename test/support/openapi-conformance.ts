import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { SaxesParser } from 'saxes';
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
    const content = response.content as Record<string, Json> | undefined;
    const text = res.text ?? (Buffer.isBuffer(res.body) ? res.body.toString('utf8') : '');
    if (!content) {
      return text ? [`${method} ${template} ${res.status}: a body, none documented`] : [];
    }
    const where = `${method} ${template} ${res.status}`;
    const type = String(res.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    const media = content[type];
    if (!media) {
      return [
        `${where}: answered ${type || 'no content type'}, documented ${Object.keys(content).join(', ')}`,
      ];
    }
    if (type === 'application/json') {
      return this.validate(where, media.schema as Json, res.body);
    }
    if (!text) {
      return [`${where}: an empty ${type} body`];
    }
    if (type.endsWith('ndjson')) {
      // Every line is one JSON value, checked against the line schema the document names.
      const lines = text.split('\n').filter((line) => line !== '');
      if (!text.endsWith('\n') || !media['x-line-schema']) {
        return [`${where}: JSON lines must end each line, and be documented with x-line-schema`];
      }
      return lines.flatMap((line, i) => {
        try {
          return this.validate(
            `${where} line ${i + 1}`,
            media['x-line-schema'] as Json,
            JSON.parse(line),
          );
        } catch {
          return [`${where} line ${i + 1}: not JSON`];
        }
      });
    }
    if (/[/+]xml$/.test(type)) {
      const problems: string[] = [];
      const parser = new SaxesParser();
      parser.on('error', (e) => problems.push(`${where}: not well-formed XML: ${e.message}`));
      parser.write(text).close();
      return problems.slice(0, 1);
    }
    return [`${where}: no check for ${type}`];
  }

  private validate(where: string, schema: Json, value: unknown): string[] {
    const ref = String(schema.$ref).replace('#/components', 'openapi#/components');
    const validate = this.ajv.getSchema(ref) ?? this.ajv.compile({ $ref: ref });
    return validate(value)
      ? []
      : (validate.errors ?? []).map((e) => `${where}: ${e.instancePath} ${e.message}`);
  }
}
