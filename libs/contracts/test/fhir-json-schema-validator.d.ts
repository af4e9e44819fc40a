// Types for the validator (it ships none): checks a resource against the official FHIR R4 JSON schema.
declare module '@asymmetrik/fhir-json-schema-validator' {
  export default class JSONSchemaValidator {
    constructor(schema?: object, ajvSettings?: object);
    /** The validation errors; empty when the resource is valid. */
    validate(resource: unknown, verbose?: boolean): unknown[];
  }
}
