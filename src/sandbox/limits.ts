// Every bound the sandbox puts on what one request may ask for, in one place. AWS's own limits where
// AWS has one (so the sandbox refuses what AWS refuses); otherwise a size no honest client reaches.

/** EC2 Query and Route 53 request bodies. The largest honest one is a RunInstances with 16 KB of user data. */
export const MAX_API_BODY_BYTES = 1024 * 1024;
/** Admin API bodies (JSON settings, fault rules). */
export const MAX_ADMIN_BODY_BYTES = 64 * 1024;

/** POST /_sandbox/bulk-instances: per call, and the most instances a region may hold. */
export const MAX_BULK_PER_CALL = 10_000;
export const MAX_INSTANCES_PER_REGION = 20_000;

/** EC2 tags (AWS: 50 per resource, key 128 and value 256 Unicode characters). */
export const MAX_TAGS_PER_RESOURCE = 50;
export const MAX_TAG_KEY_CHARS = 128;
export const MAX_TAG_VALUE_CHARS = 256;
/** EC2 user data: 16 KB before base64. */
export const MAX_USER_DATA_BYTES = 16 * 1024;
/** Members of one EC2 list parameter (InstanceId.N, ResourceId.N, Filter.N ...). */
export const MAX_LIST_MEMBERS = 1000;
/** Values of one EC2 filter (AWS: 200). */
export const MAX_FILTER_VALUES = 200;

/** Route 53 ChangeResourceRecordSets (AWS: 1,000 records and 32,000 characters of values per request). */
export const MAX_CHANGES_PER_BATCH = 1000;
export const MAX_VALUE_CHARS_PER_BATCH = 32_000;
