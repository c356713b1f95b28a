// A small static table of on-demand hourly prices (USD, Linux, us-east-1 list prices) for common
// instance types, shown by `ec2list --wide` "where known". Other regions differ by a few percent;
// types not listed show no price. Not a bill: no discounts, storage or traffic.
const PRICES: Record<string, number> = {
  // the original scripts' era
  'm1.small': 0.044,
  'm3.medium': 0.067,
  'm3.large': 0.133,
  // burstable
  't2.nano': 0.0058,
  't2.micro': 0.0116,
  't2.small': 0.023,
  't2.medium': 0.0464,
  't2.large': 0.0928,
  't3.nano': 0.0052,
  't3.micro': 0.0104,
  't3.small': 0.0208,
  't3.medium': 0.0416,
  't3.large': 0.0832,
  't3.xlarge': 0.1664,
  't3.2xlarge': 0.3328,
  't3a.nano': 0.0047,
  't3a.micro': 0.0094,
  't3a.small': 0.0188,
  't3a.medium': 0.0376,
  't3a.large': 0.0752,
  't4g.nano': 0.0042,
  't4g.micro': 0.0084,
  't4g.small': 0.0168,
  't4g.medium': 0.0336,
  't4g.large': 0.0672,
  // general purpose
  'm5.large': 0.096,
  'm5.xlarge': 0.192,
  'm5.2xlarge': 0.384,
  'm6i.large': 0.096,
  'm6i.xlarge': 0.192,
  'm6g.large': 0.077,
  'm7i.large': 0.1008,
  'm7g.large': 0.0816,
  // compute / memory
  'c5.large': 0.085,
  'c5.xlarge': 0.17,
  'c6i.large': 0.085,
  'c7g.large': 0.0725,
  'r5.large': 0.126,
  'r6i.large': 0.126,
};

/** Hourly price of a type where known, else undefined. */
export function hourlyPrice(type: string): number | undefined {
  return PRICES[type];
}
