// One ValidationPipe configuration for the whole API: unknown properties are refused, query strings
// are converted to their declared types, and failures become 400 VALIDATION_FAILED with each problem.
import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ApiError } from './api-error';

function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    return [
      ...Object.values(error.constraints ?? {}).map((message) => message.replace(error.property, path)),
      ...describe(error.children ?? [], path),
    ];
  });
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const problems = describe(errors);
      return new ApiError(400, 'VALIDATION_FAILED', `Invalid request: ${problems.join('; ')}`, { problems });
    },
  });
}

/** Validates a body that only some content types carry (JSON vs multipart on the same route). */
export async function validateBody<T extends object>(type: new () => T, body: unknown): Promise<T> {
  return (await createValidationPipe().transform(body ?? {}, { type: 'body', metatype: type })) as T;
}
