// Every Python package a GraphTerm install fetches, pinned by version and SHA-256 (pip --require-hashes).
// Shared by the user-data (on the instance) and the local runtime (sandbox, tests, demo).
export interface PipPin { name: string; version: string; sha256: string; file: string }

/** pip 20.3.4: the last pip that runs on Python 2.7. */
export const PIP_BOOTSTRAP: PipPin = { name: 'pip', version: '20.3.4', file: 'pip-20.3.4-py2.py3-none-any.whl', sha256: '217ae5161a0e08c0fb873858806e3478c9775caffce5168b50ec885e358c199d' };

/** GraphTerm 0.57.0 and tornado 4.5.3 (GraphTerm breaks on tornado 5) with their Python 2 dependencies. */
export const GRAPHTERM_PIP_PINS: PipPin[] = [
  { name: 'setuptools', version: '44.1.1', file: 'setuptools-44.1.1-py2.py3-none-any.whl', sha256: '27a714c09253134e60a6fa68130f78c7037e5562c4f21f8f318f2ae900d152d5' },
  { name: 'six', version: '1.17.0', file: 'six-1.17.0-py2.py3-none-any.whl', sha256: '4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274' },
  { name: 'singledispatch', version: '3.7.0', file: 'singledispatch-3.7.0-py2.py3-none-any.whl', sha256: 'bc77afa97c8a22596d6d4fc20f1b7bdd2b86edc2a65a4262bdd7cc3cc19aa989' },
  { name: 'backports_abc', version: '0.5', file: 'backports_abc-0.5-py2.py3-none-any.whl', sha256: '52089f97fe7a9aa0d3277b220c1d730a85aefd64e1b2664696fe35317c5470a7' },
  { name: 'certifi', version: '2021.10.8', file: 'certifi-2021.10.8-py2.py3-none-any.whl', sha256: 'd62a0163eb4c2344ac042ab2bdf75399a71a2d8c7d47eac2e2ee91b9d6339569' },
  { name: 'tornado', version: '4.5.3', file: 'tornado-4.5.3.tar.gz', sha256: '6d14e47eab0e15799cf3cdcc86b0b98279da68522caace2bd7ce644287685f0a' },
  { name: 'graphterm', version: '0.57.0', file: 'graphterm-0.57.0.tar.gz', sha256: 'da8afe460922498004528d68716c49ce3315392995cbf61f3e5f181ae0a900a9' },
];
