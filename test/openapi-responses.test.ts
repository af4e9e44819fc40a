import { describe, expect, it } from 'vitest';
import { OpenApiResponseValidator, type OpenApiDocument } from './openapi-responses';

const json = (schema: Record<string, unknown>) => ({ content: { 'application/json': { schema } } });

const document: OpenApiDocument = {
  paths: {
    '/items/{id}': {
      get: {
        responses: {
          '200': json({ $ref: '#/components/schemas/Item' }),
          '404': json({ $ref: '#/components/schemas/ApiErrorDto' }),
        },
      },
    },
    '/items/newest': { get: { responses: { '200': json({ type: 'array', items: { type: 'string' } }) } } },
    '/report': { get: { responses: { '200': { content: { 'text/csv': {} } } } } },
  },
  components: {
    schemas: {
      Item: {
        type: 'object',
        required: ['id', 'label', 'error'],
        properties: {
          id: { type: 'string' },
          label: { type: 'string', enum: ['normal', 'abnormal'], nullable: true },
          error: { nullable: true, type: 'object', allOf: [{ $ref: '#/components/schemas/Problem' }] },
        },
      },
      Problem: { type: 'object', required: ['code'], properties: { code: { type: 'string' } } },
      ApiErrorDto: {
        type: 'object',
        required: ['statusCode', 'code', 'message'],
        properties: { statusCode: { type: 'number' }, code: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

const validator = new OpenApiResponseValidator(document);
const JSON_TYPE = 'application/json; charset=utf-8';

describe('OpenApiResponseValidator', () => {
  it('accepts a body that matches its schema, with OpenAPI 3.0 nullable enums and nullable references', () => {
    expect(
      validator.problems('GET', '/items/7', 200, JSON_TYPE, { id: '7', label: null, error: null }),
    ).toEqual([]);
    expect(
      validator.problems('GET', '/items/7', 200, JSON_TYPE, {
        id: '7',
        label: 'normal',
        error: { code: 'X' },
      }),
    ).toEqual([]);
  });

  it('names each way a body departs from its schema', () => {
    const problems = validator.problems('GET', '/items/7', 200, JSON_TYPE, {
      id: 7,
      label: 'murmur',
      error: {},
    });
    expect(problems.join('\n')).toMatch(/body\/id must be string/);
    expect(problems.join('\n')).toMatch(/body\/label must be equal to one of the allowed values/);
    expect(problems.join('\n')).toMatch(/body\/error must have required property 'code'/);
  });

  it('matches the most specific path template', () => {
    expect(validator.problems('GET', '/items/newest', 200, JSON_TYPE, ['a', 'b'])).toEqual([]);
    expect(validator.problems('GET', '/items/newest', 200, JSON_TYPE, { id: 'newest' })).not.toEqual([]);
  });

  it('holds an undocumented error status to the one error shape, and refuses an undocumented success', () => {
    const error = { statusCode: 429, code: 'RATE_LIMITED', message: 'Slow down.' };
    expect(validator.problems('GET', '/items/7', 429, JSON_TYPE, error)).toEqual([]);
    expect(validator.problems('GET', '/items/7', 500, JSON_TYPE, { error: 'Internal' })).not.toEqual([]);
    expect(validator.problems('GET', '/items/7', 201, JSON_TYPE, {})).toEqual([
      'GET /items/{id} answered 201, a status the OpenAPI document does not list (200, 404)',
    ]);
  });

  it('refuses a media type the operation does not document, and leaves undocumented paths alone', () => {
    expect(validator.problems('GET', '/report', 200, 'text/csv', undefined)).toEqual([]);
    expect(validator.problems('GET', '/report', 200, JSON_TYPE, {})).toEqual([
      'GET /report answered 200 with application/json; documented: text/csv',
    ]);
    expect(validator.problems('GET', '/docs', 200, 'text/html', undefined)).toEqual([]);
  });
});
