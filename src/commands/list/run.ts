import { Ec2termError } from '../../lib/errors.js';
import type { RunCommand } from '../types.js';

export const run: RunCommand = async () => {
  throw new Ec2termError('ec2list is not built yet');
};
