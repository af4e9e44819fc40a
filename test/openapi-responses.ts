// Holds every gateway response an integration test receives to the gateway's own OpenAPI document:
// the status must be documented for the operation (or be an error answered in the one error shape),
// and a JSON body must match the schema documented for that status and media type.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

type Schema = Record<string, unknown>;

interface MediaType {
  schema?: Schema;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
}
interface Operation {
  operationId?: string;
  responses?: Record<string, ResponseObject>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const DOCUMENT_ID = 'openapi';
const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/**
 * An OpenAPI 3.0 schema as JSON Schema for ajv: `#/components/...` references point into the
 * document registered under DOCUMENT_ID, and `nullable: true` becomes "this schema, or null" (ajv's
 * own `nullable` leaves `enum` and `allOf` refusing null).
 */
function toJsonSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toJsonSchema);
  if (value === null || typeof value !== 'object') return value;
  const { nullable, ...rest } = value as Record<string, unknown>;
  const converted = Object.fromEntries(
    Object.entries(rest).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string' && inner.startsWith('#/')
        ? `${DOCUMENT_ID}${inner}`
        : toJsonSchema(inner),
    ]),
  );
  return nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted;
}

function isJson(mediaType: string): boolean {
  return /^application\/(.+\+)?json$/i.test(mediaType.split(';')[0]!.trim());
}

interface Route {
  method: string;
  pattern: RegExp;
  /** Literal characters in the path template: the most specific template wins (/models/rollback over /models/{version}). */
  literalLength: number;
  template: string;
  operation: Operation;
}

export class OpenApiResponseValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, discriminator: true });
  private readonly routes: Route[];
  /** Compiled validators by the schema's JSON text. */
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly errorSchema?: Schema;

  constructor(document: OpenApiDocument) {
    addFormats(this.ajv);
    // OpenAPI 3.0 file parts; a JSON body never carries them.
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema(toJsonSchema({ components: document.components ?? {} }) as Schema, DOCUMENT_ID);
    if (document.components?.schemas?.ApiErrorDto)
      this.errorSchema = { $ref: `${DOCUMENT_ID}#/components/schemas/ApiErrorDto` };
    this.routes = Object.entries(document.paths).flatMap(([template, operations]) =>
      Object.entries(operations)
        .filter(([method]) => METHODS.has(method))
        .map(([method, operation]) => ({
          method: method.toUpperCase(),
          pattern: new RegExp(
            `^${template
              .split(/\{[^}]+\}/)
              .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
              .join('[^/]+')}$`,
          ),
          literalLength: template.replace(/\{[^}]+\}/g, '').length,
          template,
          operation,
        })),
    );
  }

  /** The documented operation for a request, if any. */
  route(method: string, pathname: string): Route | undefined {
    return this.routes
      .filter((route) => route.method === method.toUpperCase() && route.pattern.test(pathname))
      .sort((a, b) => b.literalLength - a.literalLength)[0];
  }

  /**
   * What is wrong with a response, or an empty list. Requests to paths the document does not
   * describe (Swagger UI, the document itself, unknown routes answered 404) are not checked here.
   */
  problems(method: string, pathname: string, status: number, contentType: string, body: unknown): string[] {
    const route = this.route(method, pathname);
    if (!route) return [];
    const where = `${method.toUpperCase()} ${route.template} answered ${status}`;
    const responses = route.operation.responses ?? {};
    const documented = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
    if (!documented) {
      if (status >= 400 && this.errorSchema) return this.check(this.errorSchema, body, `${where} (an error)`);
      return [`${where}, a status the OpenAPI document does not list (${Object.keys(responses).join(', ')})`];
    }
    const content = documented.content;
    if (!content || Object.keys(content).length === 0) {
      if (status >= 400 && this.errorSchema) return this.check(this.errorSchema, body, `${where} (an error)`);
      return [];
    }
    const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
    const media =
      content[mediaType] ??
      Object.entries(content).find(([type]) => type.split('/')[1] === '*' || type === '*/*')?.[1];
    if (!media) {
      if (status >= 400 && this.errorSchema && isJson(mediaType))
        return this.check(this.errorSchema, body, `${where} (an error)`);
      return [
        `${where} with ${mediaType || 'no content type'}; documented: ${Object.keys(content).join(', ')}`,
      ];
    }
    if (!media.schema || !isJson(mediaType)) return [];
    return this.check(toJsonSchema(media.schema) as Schema, body, where);
  }

  private check(schema: Schema, body: unknown, where: string): string[] {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(key, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (error) => `${where}: body${error.instancePath} ${error.message} ${JSON.stringify(error.params)}`,
    );
  }
}
