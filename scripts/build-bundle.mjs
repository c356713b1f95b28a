// esbuild bundle of what the bins run: src/main.ts -> dist/bundle/main.js (ESM, code splitting, so each
// command's run.ts and the heavy packages it uses are separate chunks loaded only when needed). The AWS SDK
// comes from its ES modules (mainFields module,main) so it is tree-shaken. Then captures the --help texts
// for the fast path in src/main.ts (dist/bundle/fast.json).
//
// Files that use import.meta.url (version.ts reads ../../../package.json, sandbox/client.ts spawns
// ./main.js) get it rewritten to their tsc-output location (dist/src/...), so relative paths keep
// meaning what they mean there; the sandbox server itself runs from the tsc output.
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROGRAMS = ['ec2launch', 'ec2list', 'ec2ssh', 'ec2scp', 'ec2term'];

/** Builds dist/bundle; throws (after removing dist/bundle) when esbuild fails. */
export async function bundle({ root, quiet = false, analyze = false } = {}) {
  const esbuild = await import('esbuild');
  const outdir = join(root, 'dist/bundle');
  const srcDir = join(root, 'src') + sep;
  const started = Date.now();

  const importMetaToTscOutput = {
    name: 'import-meta-to-tsc-output',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (!args.path.startsWith(srcDir) || args.path === join(root, 'src/main.ts')) return undefined;
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.')) return undefined;
        // dist/bundle/<chunk>.js -> ../src/<same path as tsc emits>.js
        const rel = `../${relative(root, args.path).split(sep).join('/').replace(/\.ts$/, '.js')}`;
        const url = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
        const contents =
          "import { fileURLToPath as __ec2tPath } from 'node:url'; import { dirname as __ec2tDir } from 'node:path';\n" +
          text.replace(/\bimport\.meta\.(url|filename|dirname)\b/g, (_, what) =>
            what === 'url' ? url : what === 'filename' ? `__ec2tPath(${url})` : `__ec2tDir(__ec2tPath(${url}))`,
          );
        return { contents, loader: 'ts' };
      });
    },
  };

  // `await import('@aws-sdk/client-ec2')` keeps every export of the package (a dynamic import cannot be
  // tree-shaken): send such imports to a facade re-exporting only the names the sources mention.
  const facades = await facadePlugin(root, FACADE_PACKAGES);
  const applied = overrideLedger();

  let result;
  try {
    result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: { main: 'src/main.ts' },
      outdir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      mainFields: ['module', 'main'],
      minify: true,
      keepNames: true, // errors.ts names errors after new.target.name
      legalComments: 'none',
      chunkNames: '[name]-[hash]',
      // ssh2 stays in node_modules: bundled, its require('./crypto/build/Release/sshcrypto.node') (the native
      // AES-GCM/ChaCha binding) resolves next to the bundle, fails, and ssh2 quietly falls back to slower
      // crypto that also writes each packet in two pieces. cpu-features is ssh2's other optional native part.
      external: ['cpu-features', '*.node', 'ssh2'],
      // CommonJS packages (ssh2, ...) call require(): give every chunk a real one.
      // ...and __dirname/__filename, which ssh2's bundled poly1305 (emscripten) and agent code read at load time.
      banner: {
        js:
          "import{createRequire as __ec2tRq}from'node:module';import{fileURLToPath as __ec2tFp}from'node:url';" +
          "const require=__ec2tRq(import.meta.url);const __filename=__ec2tFp(import.meta.url);const __dirname=__ec2tFp(new URL('.',import.meta.url));",
      },
      plugins: [importMetaToTscOutput, facades, treeShakableSchemas(applied), sdkOverrides(applied)],
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
  } catch (err) {
    await rm(outdir, { recursive: true, force: true });
    const first = (err.errors ?? []).slice(0, 5).map((e) => `  ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`);
    throw new Error(`esbuild bundle failed; the bins fall back to dist/src/cli.js:\n${first.join('\n') || err.message}`);
  }
  // An SDK upgrade that renames a file would silently turn an override off: refuse to publish such a bundle.
  const missed = applied.missed();
  if (missed.length) {
    await rm(outdir, { recursive: true, force: true });
    throw new Error(`esbuild bundle refused: ${missed.join('; ')} (did an SDK upgrade rename a file? update scripts/build-bundle.mjs)`);
  }
  const size = budgetReport(result.metafile);
  if (size.over.length) {
    await rm(outdir, { recursive: true, force: true });
    throw new Error(`esbuild bundle refused: over its size budget: ${size.over.join('; ')} (raise BUNDLE_BUDGET in scripts/build-bundle.mjs only with a reason)`);
  }
  await publish(outdir, result.outputFiles);
  if (analyze) console.log(await esbuild.analyzeMetafile(result.metafile));
  await writeFile(join(root, 'dist/bundle-meta.json'), JSON.stringify({ ...result.metafile, ec2term: { overrides: applied.summary(), size: size.totals } }));

  const help = captureHelp(root);
  await writeFile(join(outdir, `fast.json.${process.pid}.tmp`), JSON.stringify({ help: help.texts }));
  await rename(join(outdir, `fast.json.${process.pid}.tmp`), join(outdir, 'fast.json'));
  if (!quiet) {
    const outputs = Object.entries(result.metafile.outputs);
    const kb = Math.round(outputs.reduce((n, [, o]) => n + o.bytes, 0) / 1024);
    const main = outputs.find(([f]) => f.endsWith('/main.js'))?.[1].bytes ?? 0;
    console.error(`build: dist/bundle: ${outputs.length} files, ${kb} KB (entry ${main} B) in ${Date.now() - started} ms; fast --help for ${Object.keys(help.texts).join(', ') || 'none'}${help.notes.length ? `\n  ${help.notes.join('\n  ')}` : ''}`);
  }
}

/**
 * The SDK's schemas_0.js declares every shape of the service as `var X$ = [3, n0, _X, 0, [...], [[..., { [_xN]: _y }]]]`.
 * The computed keys ([_xN], where `const _xN = "xmlName"`) make esbuild keep every shape (a computed key
 * may run code), so the EC2 chunk carried all ~3,400 shapes. Spelling those keys as the string literals
 * they are lets tree-shaking drop the shapes no command used (same objects at run time).
 */
function treeShakableSchemas(applied) {
  return {
    name: 'tree-shakable-sdk-schemas',
    setup(build) {
      build.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        const strings = new Map();
        for (const m of text.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)) strings.set(m[1], m[2]);
        let rewritten = 0;
        const contents = text.replace(/\[(_\w+)\]:/g, (all, name) => (strings.has(name) ? (rewritten++, `${strings.get(name)}:`) : all));
        applied.note('schema keys', relative(root(args.path), args.path), rewritten);
        return { contents, loader: 'js' };
      });
    },
  };
}

/** SDK files replaced in the bundle by faster equivalents (scripts/bundle-overrides/, each tested against the original). */
const REPLACED = [
  { what: 'xml parser', filter: /[\\/]@aws-sdk[\\/]xml-builder[\\/]dist-es[\\/]xml-parser\.js$/, by: './bundle-overrides/xml-parser.js' },
];

function sdkOverrides(applied) {
  return {
    name: 'sdk-overrides',
    setup(build) {
      for (const r of REPLACED) {
        build.onLoad({ filter: r.filter }, async (args) => {
          applied.note(r.what, relative(root(args.path), args.path), 1);
          return { contents: await readFile(fileURLToPath(new URL(r.by, import.meta.url)), 'utf8'), loader: 'js' };
        });
      }
    },
  };
}

const root = (path) => path.slice(0, path.lastIndexOf(`${sep}node_modules${sep}`) + 1) || sep;

/**
 * What each override did in this build. Every override must have matched at least one file, and every
 * matched file must have been changed: esbuild's filters are path patterns, so a renamed SDK file would
 * otherwise mean a quietly slower or larger bundle.
 */
export function overrideLedger(expected = ['schema keys', ...REPLACED.map((r) => r.what)]) {
  const seen = new Map(expected.map((w) => [w, []]));
  return {
    note(what, file, changes) { seen.get(what)?.push({ file, changes }); },
    missed() {
      const out = [];
      for (const [what, files] of seen) {
        if (files.length === 0) out.push(`the ${what} override matched no file`);
        for (const f of files) if (f.changes === 0) out.push(`the ${what} override changed nothing in ${f.file}`);
      }
      return out;
    },
    summary() { return Object.fromEntries([...seen].map(([w, files]) => [w, files.map((f) => f.file)])); },
  };
}

/**
 * Size budget, in bytes, for what the bins load. The entry is on every run's path; the largest chunk is
 * the EC2 client, which the schema override keeps near a tenth of its untreated size.
 */
export const BUNDLE_BUDGET = { entry: 2 * 1024, largestChunk: 750 * 1024, total: 2560 * 1024 };

export function budgetReport(metafile) {
  const outputs = Object.entries(metafile.outputs).filter(([f]) => f.endsWith('.js'));
  const totals = {
    entry: outputs.find(([f]) => f.endsWith('/main.js'))?.[1].bytes ?? 0,
    largestChunk: Math.max(0, ...outputs.map(([, o]) => o.bytes)),
    total: outputs.reduce((n, [, o]) => n + o.bytes, 0),
  };
  const over = Object.entries(BUNDLE_BUDGET).filter(([k, max]) => totals[k] > max).map(([k, max]) => `${k} ${totals[k]} B > ${max} B`);
  return { totals, over };
}

/** Packages imported whole (dynamically) whose unused exports are worth dropping. */
// Not @inquirer/prompts: its entry shows the scan no named exports (a facade of it exported nothing),
// and it loads only when a question is asked.
const FACADE_PACKAGES = ['@aws-sdk/client-ec2', '@aws-sdk/client-route-53', '@aws-sdk/client-auto-scaling', '@aws-sdk/credential-providers'];

const AGGREGATED = new Set(['EC2', 'Route53', 'AutoScaling']);

async function sourceFiles(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/**
 * Resolves imports of each package from src/ to a virtual module `export { A, B } from 'pkg'`, where A, B
 * are the package's run-time exports whose names appear anywhere in src/ (any identifier token: a name
 * used as `sdk.DescribeInstancesCommand` counts). Naming too many costs bytes, never correctness; a name
 * built at run time (`sdk[name]`) would be missed, so don't do that with these packages.
 */
async function facadePlugin(root, packages) {
  const tokens = new Set();
  for (const f of await sourceFiles(join(root, 'src'))) for (const t of (await readFile(f, 'utf8')).match(/[A-Za-z_$][\w$]*/g) ?? []) tokens.add(t);
  const { createRequire } = await import('node:module');
  const { pathToFileURL } = await import('node:url');
  const req = createRequire(join(root, 'package.json'));
  const names = {};
  for (const pkg of packages) {
    let mod;
    try { mod = await import(pathToFileURL(req.resolve(pkg)).href); } catch { continue; }
    // Never the aggregated clients (EC2, Route53: every command of the service), whose names are
    // also ordinary words in comments and messages; use EC2Client + XxxCommand.
    names[pkg] = Object.keys(mod).filter((n) => !AGGREGATED.has(n) && n !== 'default' && n !== '__esModule' && tokens.has(n)).sort();
  }
  const srcDir = join(root, 'src') + sep;
  return {
    name: 'package-facades',
    setup(build) {
      const filter = new RegExp(`^(${Object.keys(names).map((p) => p.replace(/[/.-]/g, (c) => `\\${c}`)).join('|')})$`);
      build.onResolve({ filter }, (args) => (args.importer.startsWith(srcDir) ? { path: args.path, namespace: 'facade' } : undefined));
      build.onLoad({ filter: /.*/, namespace: 'facade' }, (args) => ({
        contents: `export { ${names[args.path].join(', ')} } from ${JSON.stringify(args.path)};`,
        resolveDir: root,
        loader: 'js',
      }));
    },
  };
}

/**
 * Writes the new bundle so that bins running meanwhile (other builds and tests share this checkout) never
 * see half of it: chunks have content hashes, so a name never changes meaning; each file is written to a
 * temporary name and renamed; main.js goes last. Chunks no current build uses are removed after an hour.
 */
async function publish(outdir, files) {
  await mkdir(outdir, { recursive: true });
  const put = async (path, data) => {
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, path);
  };
  const keep = new Set(['package.json', 'fast.json', 'main.js']);
  const main = files.find((f) => f.path === join(outdir, 'main.js'));
  for (const f of files) {
    keep.add(relative(outdir, f.path));
    if (f !== main) await put(f.path, f.contents);
  }
  await put(join(outdir, 'package.json'), '{"type":"module"}\n');
  await put(main.path, main.contents);
  const now = Date.now();
  for (const name of await readdir(outdir)) {
    if (keep.has(name)) continue;
    const p = join(outdir, name);
    const s = await stat(p).catch(() => undefined);
    if (s && (now - s.mtimeMs > 3_600_000 || name.endsWith('.tmp') && now - s.mtimeMs > 60_000)) await rm(p, { force: true });
  }
}

// Runs in a child process: prints {program: {narrow, wide}} captured from the real cli.main().
const CAPTURE = String.raw`
const [bundleMain, programs, wide] = JSON.parse(process.argv[1]);
const { Writable, Readable } = await import('node:stream');
const cli = await (await import(bundleMain)).loadCli();
const texts = {};
for (const program of programs) {
  texts[program] = {};
  const width = typeof wide === 'number' ? wide : wide[program];
  for (const mode of ['narrow', 'wide']) {
    let out = '', err = '';
    const sink = (f) => new Writable({ write(c, _e, cb) { f(String(c)); cb(); } });
    Object.defineProperty(process.stdout, 'isTTY', { value: mode === 'wide', configurable: true });
    process.stdout.columns = mode === 'wide' ? width : undefined;
    process.stdout.hasColors = () => mode === 'wide';
    const io = { stdin: Readable.from([]), stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), env: process.env,
      interactive: false, stdoutIsTTY: mode === 'wide', stderrIsTTY: false, columns: () => width };
    const code = await cli.main(program, ['--help'], io);
    texts[program][mode] = code === 0 && !err ? out : null;
  }
}
process.stdout.write(JSON.stringify(texts));
`;

function captureOnce(root, programs, wide, env, cwd) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CAPTURE, JSON.stringify([join(root, 'dist/bundle/main.js'), programs, wide])], {
    cwd, env, encoding: 'utf8', timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`help capture failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return JSON.parse(r.stdout);
}

/**
 * The help texts exactly as commander prints them, for pipes (80 columns) and for terminals wide enough
 * that nothing wraps. A program whose help changes with the environment (HOME, AWS_*, cwd) or uses colour
 * gets no fast path.
 */
function captureHelp(root) {
  const notes = [];
  const texts = {};
  const W = 1000;
  const base = { PATH: process.env.PATH, NO_COLOR: '1' };
  const a = captureOnce(root, PROGRAMS, W, { ...base, HOME: process.env.HOME ?? '/root' }, root);
  const b = captureOnce(root, PROGRAMS, W, { ...base, HOME: '/nonexistent/ec2term-x', USER: 'x', AWS_REGION: 'eu-west-3', AWS_PROFILE: 'p', EC2TERM_SANDBOX: '1', COLUMNS: '40' }, '/');
  const wideMin = {};
  for (const p of PROGRAMS) {
    const [x, y] = [a[p], b[p]];
    if (!x?.narrow || x.narrow !== y?.narrow || x.wide !== y?.wide || /\x1b/.test(x.narrow + x.wide)) {
      notes.push(`${p}: no fast --help (its help text depends on the environment, uses colour, or failed)`);
      continue;
    }
    wideMin[p] = Math.max(...x.wide.split('\n').map((l) => l.length));
    texts[p] = { narrow: x.narrow };
  }
  // Nothing wraps at wideMin columns, so the text is the same from there up; check that claim.
  const ok = Object.keys(wideMin);
  if (ok.length) {
    const check = captureOnce(root, ok, wideMin, { ...base, HOME: process.env.HOME ?? '/root' }, root);
    for (const p of ok) if (check[p]?.wide === a[p].wide) Object.assign(texts[p], { wide: a[p].wide, wideMin: wideMin[p] });
  }
  return { texts, notes };
}
