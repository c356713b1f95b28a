// The id and address shapes, defined once in src/lib/ids.ts, as tables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IMAGE_ID, INSTANCE_ID, IPV4_CIDR, parseRegionList, REGION, SNAPSHOT_ID } from '../../src/lib/ids.js';

const TABLE: [RegExp, string, string[], string[]][] = [
  [INSTANCE_ID, 'instance id', ['i-0123abcd', 'i-0123456789abcdef0'], ['i-0123', 'i-0123456789abcdef', 'I-0123ABCD', 'i-0123abcdx', 'lab']],
  [IMAGE_ID, 'image id', ['ami-0123abcd', 'ami-0123456789abcdef0'], ['ami-0123456789', 'ubuntu', 'ami-']],
  [SNAPSHOT_ID, 'snapshot id', ['snap-0123abcd', 'snap-0123456789abcdef0'], ['snap-1234', 'snap-0123456789abcd']],
  [REGION, 'region', ['us-east-1', 'eu-west-3', 'us-gov-west-1', 'us-isob-east-1', 'ap-southeast-12'], ['us-east', 'US-EAST-1', 'all', 'us_east_1']],
  [IPV4_CIDR, 'IPv4 CIDR', ['203.0.113.7/32', '0.0.0.0/0', '10.0.0.0/8'], ['1.2.3.4', '300.1.1.1/32', '10.0.0.0/33', '$(id)/32']],
];

for (const [shape, what, good, bad] of TABLE) {
  for (const v of good) test(`${what}: accepts ${v}`, () => assert.ok(shape.test(v)));
  for (const v of bad) test(`${what}: refuses ${JSON.stringify(v)}`, () => assert.ok(!shape.test(v)));
}

test('a region list keeps its order, drops duplicates, and knows "all"', () => {
  assert.deepEqual(parseRegionList('eu-west-1, us-east-1,eu-west-1'), ['eu-west-1', 'us-east-1']);
  assert.equal(parseRegionList('all'), 'all');
  assert.throws(() => parseRegionList(','), /bad --region/);
});
