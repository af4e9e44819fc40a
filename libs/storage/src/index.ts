export {
  ObjectStorage,
  ObjectNotFoundError,
  ObjectTooLargeError,
  StorageUnavailableError,
  createS3Client,
  keyForSha256,
  MULTIPART_PART_SIZE,
  type ListPage,
  type ObjectInfo,
  type PutOptions,
  type StorageSettings,
  type StoredObject,
} from './object-storage';
