// The interactive launch form (on a terminal, with no NAME or with --form): every question prefilled from
// the flags given. Returns new options; Ctrl-C raises CancelledError (exit 130) before anything exists.
import type { Prompt } from '../../lib/prompt.js';
import { IMAGE_ID } from '../../lib/ids.js';
import { parseDuration } from '../../lib/wait.js';
import { AUTH_TYPES, DEFAULT_TYPE, NAME_RE, type LaunchOptions } from './plan.js';

const optional = (v: string): string | undefined => (v.trim() === '' ? undefined : v.trim());

export async function fillForm(prompt: Prompt, given: LaunchOptions): Promise<LaunchOptions> {
  const o: LaunchOptions = { ...given };
  o.name = await prompt.input('Name (lab, or lab.myterm.com for a DNS name):', {
    default: given.name,
    validate: (v) => (NAME_RE.test(v.trim()) ? true : "lower-case letters, digits and '-', starting with a letter; optional .domain"),
  });
  o.name = o.name.trim();
  o.type = optional(await prompt.input('Instance type:', { default: given.type ?? DEFAULT_TYPE }));
  o.ami = optional(await prompt.input('Image id (empty: newest Ubuntu LTS):', { default: given.ami ?? '', validate: (v) => (v.trim() === '' || IMAGE_ID.test(v.trim()) ? true : 'an image id such as ami-0123456789abcdef0') }));
  const packages = await prompt.checkbox('Packages:', [
    { name: 'pylab (numpy, matplotlib, pandas)', value: 'pylab', checked: Boolean(given.pylab) },
    { name: 'R', value: 'R', checked: Boolean(given.R) },
    { name: 'netCDF', value: 'netcdf', checked: Boolean(given.netcdf) },
  ]);
  o.pylab = packages.includes('pylab') || undefined;
  o.R = packages.includes('R') || undefined;
  o.netcdf = packages.includes('netcdf') || undefined;
  o.install = optional(await prompt.input('Extra packages (comma separated; pip:NAME for Python):', { default: given.install ?? '' }));
  o.connectTo = optional(await prompt.input('Secondary host of server (empty: this is a server):', { default: given.connectTo ?? '' }));
  if (!o.connectTo) {
    o.authType = await prompt.select(
      'Auth type:',
      AUTH_TYPES.map((t) => ({ name: t, value: t })),
      { default: given.authType ?? 'singleuser' },
    );
    const code = await prompt.password('Auth code, 8-16 letters and digits (empty: a random one):');
    o.authCode = optional(code) ?? given.authCode;
    o.https = (await prompt.confirm('Serve over https?', { default: Boolean(given.https) })) || undefined;
  }
  o.volumeSize = optional(await prompt.input('Root volume size in GB (empty: the image default):', { default: given.volumeSize ?? '', validate: (v) => (v.trim() === '' || /^\d+$/.test(v.trim()) ? true : 'a whole number of GB') }));
  o.ttl = optional(await prompt.input('Time to live (empty: until terminated; e.g. 4h, 2d):', { default: given.ttl ?? '', validate: (v) => (v.trim() === '' || parseDuration(v.trim()) !== undefined ? true : 'a duration such as 90m, 4h or 2d') }));
  o.form = undefined;
  return o;
}
