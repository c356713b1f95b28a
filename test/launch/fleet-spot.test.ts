// The spot fallback's decision, pure: which of a spot group's scaling activities mean "no spot capacity"
// (then ec2launch switches the group to on-demand) and which do not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spotCapacityShort, type ScalingActivity } from '../../src/lib/fleets.js';

const since = Date.parse('2026-12-03T19:00:00Z');
const at = (iso: string) => new Date(iso);
const failed = (StatusMessage: string, StartTime = at('2026-12-03T19:01:00Z')): ScalingActivity => ({ StatusCode: 'Failed', StatusMessage, StartTime });
const launched: ScalingActivity = { StatusCode: 'Successful', StatusMessage: undefined, StartTime: at('2026-12-03T19:01:00Z') };

describe('the spot fallback decision', () => {
  it('falls back on failed launches for want of spot capacity since the run began, and on nothing else', () => {
    const table: [string, ScalingActivity[], boolean][] = [
      ['no activities yet', [], false],
      ['launches that succeed', [launched, { ...launched, StatusCode: 'InProgress' }], false],
      ['no spot capacity (AWS\'s activity message)', [launched, failed('Could not launch Spot Instances. InsufficientInstanceCapacity - There is no Spot capacity available that matches your request. Launching EC2 instance failed.')], true],
      ['the zone has no capacity of the type', [failed('We currently do not have sufficient t3.small capacity in the Availability Zone you requested (us-east-1a). Our system will be working on provisioning additional capacity. Launching EC2 instance failed.')], true],
      ['the account\'s spot quota', [failed('Could not launch Spot Instances. MaxSpotInstanceCountExceeded - Max spot instance count exceeded. Launching EC2 instance failed.')], true],
      ['another failure (a bad template)', [failed('The specified AMI ami-1 does not exist. Launching EC2 instance failed.')], false],
      ['a capacity failure from before this run', [failed('Could not launch Spot Instances. InsufficientInstanceCapacity - There is no Spot capacity available that matches your request.', at('2026-12-03T18:30:00Z'))], false],
      ['a capacity message on an activity that did not fail', [{ ...launched, StatusMessage: 'InsufficientInstanceCapacity' }], false],
    ];
    for (const [what, activities, expected] of table) assert.equal(spotCapacityShort(activities, since), expected, what);
  });
});
