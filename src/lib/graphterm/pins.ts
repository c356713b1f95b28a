// Every version the GraphTerm install fetches, in ONE place: the user-data (userdata.ts here) and the
// local runtime installer (the tests' GraphTerm) import these, so an instance and the tests run the same GraphTerm.
//
// Why these: GraphTerm 0.57.0 (2014, the last release on PyPI) is Python 2 only; it needs tornado < 5
// (tornado 5 dropped the io_loop= argument GraphTerm passes), and pip 20.3.4 is the last pip for 2.7.
// Each pin is one file on PyPI with its sha256, installed with `pip install --require-hashes`.

export interface PipPin {
  name: string;
  version: string;
  /** sha256 of `file`, as PyPI lists it. */
  sha256: string;
  /** The file on PyPI (wheel or sdist). */
  file: string;
}

/** pip for Python 2.7, bootstrapped from its own wheel (no get-pip download site). */
export const PIP_BOOTSTRAP: PipPin = {
  name: 'pip',
  version: '20.3.4',
  sha256: '217ae5161a0e08c0fb873858806e3478c9775caffce5168b50ec885e358c199d',
  file: 'pip-20.3.4-py2.py3-none-any.whl',
};

/** GraphTerm and everything it needs on Python 2.7, one file each. */
export const GRAPHTERM_PIP_PINS: PipPin[] = [
  PIP_BOOTSTRAP,
  { name: 'setuptools', version: '44.1.1', sha256: '27a714c09253134e60a6fa68130f78c7037e5562c4f21f8f318f2ae900d152d5', file: 'setuptools-44.1.1-py2.py3-none-any.whl' },
  { name: 'six', version: '1.17.0', sha256: '4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274', file: 'six-1.17.0-py2.py3-none-any.whl' },
  { name: 'singledispatch', version: '3.7.0', sha256: 'bc77afa97c8a22596d6d4fc20f1b7bdd2b86edc2a65a4262bdd7cc3cc19aa989', file: 'singledispatch-3.7.0-py2.py3-none-any.whl' },
  { name: 'backports_abc', version: '0.5', sha256: '52089f97fe7a9aa0d3277b220c1d730a85aefd64e1b2664696fe35317c5470a7', file: 'backports_abc-0.5-py2.py3-none-any.whl' },
  { name: 'certifi', version: '2021.10.8', sha256: 'd62a0163eb4c2344ac042ab2bdf75399a71a2d8c7d47eac2e2ee91b9d6339569', file: 'certifi-2021.10.8-py2.py3-none-any.whl' },
  { name: 'tornado', version: '4.5.3', sha256: '6d14e47eab0e15799cf3cdcc86b0b98279da68522caace2bd7ce644287685f0a', file: 'tornado-4.5.3.tar.gz' },
  { name: 'graphterm', version: '0.57.0', sha256: 'da8afe460922498004528d68716c49ce3315392995cbf61f3e5f181ae0a900a9', file: 'graphterm-0.57.0.tar.gz' },
];

/**
 * --pylab: the last numpy/matplotlib for Python 2.7 and matplotlib's Python 2 dependencies. Hashes are of
 * the cp27mu manylinux x86_64 wheels (checked with `pip download --no-deps` under Python 2.7.18); PyPI has
 * no aarch64 wheels of numpy, matplotlib, kiwisolver or subprocess32 for 2.7, so --pylab is x86_64 only.
 */
export const PYLAB_PIP_PINS: PipPin[] = [
  { name: 'numpy', version: '1.16.6', sha256: '1680c8d5086a88d293dfd1a10b6429a09140cacee878034fa2308472ec835db4', file: 'numpy-1.16.6-cp27-cp27mu-manylinux1_x86_64.whl' },
  { name: 'matplotlib', version: '2.2.5', sha256: '57077b4023f1af0151b6b580bccfcff2e3ec1e0f689ef58e4d1e751cdfbf13f0', file: 'matplotlib-2.2.5-cp27-cp27mu-manylinux1_x86_64.whl' },
  { name: 'cycler', version: '0.10.0', sha256: '1d8a5ae1ff6c5cf9b93e8811e581232ad8920aeec647c37316ceac982b08cb2d', file: 'cycler-0.10.0-py2.py3-none-any.whl' },
  { name: 'kiwisolver', version: '1.1.0', sha256: '05b5b061e09f60f56244adc885c4a7867da25ca387376b02c1efc29cc16bcd0f', file: 'kiwisolver-1.1.0-cp27-cp27mu-manylinux1_x86_64.whl' },
  { name: 'pyparsing', version: '2.4.7', sha256: 'ef9d7589ef3c200abe66653d3f1ab1033c3c419ae9b9bdb1240a85b024efc88b', file: 'pyparsing-2.4.7-py2.py3-none-any.whl' },
  { name: 'python-dateutil', version: '2.8.2', sha256: '961d03dc3453ebbc59dbdea9e4e11c5651520a876d0f4db161e8674aae935da9', file: 'python_dateutil-2.8.2-py2.py3-none-any.whl' },
  { name: 'pytz', version: '2025.2', sha256: '5ddf76296dd8c44c26eb8f4b6f35488f3ccbf6fbbd7adee0b7262d43f0ec2f00', file: 'pytz-2025.2-py2.py3-none-any.whl' },
  { name: 'backports.functools_lru_cache', version: '1.6.6', sha256: '77e27d0ffbb463904bdd5ef8b44363f6cd5ef503e664b3f599a3bf5843ed37cf', file: 'backports.functools_lru_cache-1.6.6-py2.py3-none-any.whl' },
  { name: 'subprocess32', version: '3.5.4', sha256: 'e45d985aef903c5b7444d34350b05da91a9e0ea015415ab45a21212786c649d0', file: 'subprocess32-3.5.4-cp27-cp27mu-manylinux2014_x86_64.whl' },
];

/** --netcdf: netCDF4 for Python 2.7 (x86_64 wheel) and cftime (an sdist: built on the instance, needs numpy). */
export const NETCDF_PIP_PINS: PipPin[] = [
  { name: 'netCDF4', version: '1.5.3', sha256: 'bcc321f975045883e08c3dbad5f609adcb041df77c421518d36a0d253a6e3779', file: 'netCDF4-1.5.3-cp27-cp27mu-manylinux1_x86_64.whl' },
  { name: 'cftime', version: '1.2.1', sha256: 'ab5d5076f7d3e699758a244ada7c66da96bae36e22b9e351ce0ececc36f0a57f', file: 'cftime-1.2.1.tar.gz' },
];

/** Pure: pins -> the lines of a `pip install --require-hashes -r` file ("name==version --hash=sha256:..."). */
export function requirementsText(pins: PipPin[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const p of pins) {
    if (seen.has(p.name.toLowerCase())) continue;
    seen.add(p.name.toLowerCase());
    lines.push(`${p.name}==${p.version} --hash=sha256:${p.sha256}`);
  }
  return lines.join('\n') + '\n';
}
