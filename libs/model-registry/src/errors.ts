// Errors of the model registry, each with a stable code for API responses and logs.

export class ModelRegistryError extends Error {
  constructor(
    readonly code:
      | 'MODEL_VERSION_NOT_FOUND'
      | 'NO_BUNDLED_MODEL'
      | 'NO_PREVIOUS_VERSION'
      | 'MODEL_ARTIFACTS_INVALID'
      | 'MODEL_ARTIFACTS_MISSING'
      | 'MODEL_VERSION_PROMOTED',
    message: string,
  ) {
    super(message);
    this.name = 'ModelRegistryError';
  }
}

export const versionNotFound = (version: string) =>
  new ModelRegistryError('MODEL_VERSION_NOT_FOUND', `Model version ${version} is not registered`);
