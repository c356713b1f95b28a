// esbuild bundle of what the bins run: src/main.ts -> dist/bundle/main.js (ESM, code splitting, so each
// command's run.ts and the heavy packages it uses are separate chunks loaded only when needed). The AWS SDK
// comes from its ES modules (mainFields module,main) so it is tree-shaken. Then captures the --help texts
// for the fast path in src/main.ts (dist/bundle/fast.json).
//
// Files that use import.meta.url (version.ts reads ../../../package.json, sandbox/client.ts spawns
// ./main.js) get it rewritten to their tsc-output location (dist/src/...), so relative paths keep
// meaning what they mean there; the sandbox server itself runs from the tsc output.
import { spawnSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export const PROGRAMS = ['ec2launch', 'ec2list', 'ec2ssh', 'ec2scp', 'ec2term'];

/** Builds dist/bundle; throws (after removing dist/bundle) when esbuild fails. */
export async function bundle({ root, quiet = false, analyze = false } = {}) {
  const esbuild = await import('esbuild');
  const outdir = join(root, 'dist/bundle');
  const srcDir = join(root, 'src') + sep;
  const started = Date.now();
  await rm(outdir, { recursive: true, force: true });

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
      // ssh2's optional native parts: loaded (or not) at run time from node_modules, as without a bundle.
      external: ['cpu-features', '*.node'],
      // CommonJS packages (ssh2, ...) call require(): give every chunk a real one.
      banner: { js: "import{createRequire as __ec2tRq}from'node:module';const require=__ec2tRq(import.meta.url);" },
      plugins: [importMetaToTscOutput],
      metafile: true,
      logLevel: 'silent',
    });
  } catch (err) {
    await rm(outdir, { recursive: true, force: true });
    const first = (err.errors ?? []).slice(0, 5).map((e) => `  ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`);
    throw new Error(`esbuild bundle failed; the bins fall back to dist/src/cli.js:\n${first.join('\n') || err.message}`);
  }
  await writeFile(join(outdir, 'package.json'), '{"type":"module"}\n');
  if (analyze) console.log(await esbuild.analyzeMetafile(result.metafile));
  await writeFile(join(root, 'dist/bundle-meta.json'), JSON.stringify(result.metafile));

  const help = captureHelp(root);
  await writeFile(join(outdir, 'fast.json'), JSON.stringify({ help: help.texts }));
  if (!quiet) {
    const outputs = Object.entries(result.metafile.outputs);
    const kb = Math.round(outputs.reduce((n, [, o]) => n + o.bytes, 0) / 1024);
    const main = outputs.find(([f]) => f.endsWith('/main.js'))?.[1].bytes ?? 0;
    console.error(`build: dist/bundle: ${outputs.length} files, ${kb} KB (entry ${main} B) in ${Date.now() - started} ms; fast --help for ${Object.keys(help.texts).join(', ') || 'none'}${help.notes.length ? `\n  ${help.notes.join('\n  ')}` : ''}`);
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
