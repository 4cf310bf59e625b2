/**
 * A small Dockerfile reader for the deployment tests: enough of the syntax this repository's Dockerfile
 * uses (line continuations, comments, `ARG` before `FROM`, `--flag=value` options, exec-form JSON) to
 * check the image against the manifests (test/deploy/manifests.test.ts) and to replay its stages without a
 * container engine (test-long/deploy/dockerfile.test.ts). It refuses what it does not understand rather
 * than guessing.
 */

/** One instruction: keyword upper-cased, its `--name=value` flags, the rest, and exec-form words if JSON. */
export interface Instruction {
  keyword: string;
  flags: Record<string, string>;
  args: string;
  /** The JSON array of an exec-form instruction (`CMD ["node", ...]`), else undefined. */
  exec?: string[];
  line: number;
}

/** One `FROM` stage. */
export interface Stage {
  name: string;
  /** The base image with build args substituted. */
  from: string;
  instructions: Instruction[];
}

const KNOWN = new Set(['FROM', 'ARG', 'WORKDIR', 'COPY', 'RUN', 'ENV', 'USER', 'VOLUME', 'EXPOSE', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD', 'LABEL']);

/** Parses Dockerfile text into stages; throws on an instruction this reader does not know. */
export function parseDockerfile(text: string): Stage[] {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!;
    if (/^\s*(#.*)?$/.test(line)) continue;
    // A trailing backslash continues the instruction; comment lines inside it are dropped (as Docker does).
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, ' ');
      i++;
      if (/^\s*#/.test(lines[i]!)) continue;
      line += lines[i]!;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line.trim());
    if (!m) throw new Error(`Dockerfile line ${start}: cannot read "${line}"`);
    const keyword = m[1]!.toUpperCase();
    if (!KNOWN.has(keyword)) throw new Error(`Dockerfile line ${start}: unsupported instruction ${keyword}`);
    let rest = m[2]!.trim();
    const flags: Record<string, string> = {};
    let f: RegExpExecArray | null;
    while ((f = /^--([a-z-]+)=(\S+)\s+/.exec(rest))) {
      flags[f[1]!] = f[2]!;
      rest = rest.slice(f[0].length);
    }
    const ins: Instruction = { keyword, flags, args: rest, line: start };
    if (rest.startsWith('[')) ins.exec = JSON.parse(rest) as string[];
    if (keyword === 'ARG' && stages.length === 0) {
      const [k, v = ''] = rest.split('=');
      globalArgs[k!] = v;
      continue;
    }
    if (keyword === 'FROM') {
      const fm = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!fm) throw new Error(`Dockerfile line ${start}: cannot read FROM ${rest}`);
      const from = fm[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => globalArgs[(a ?? b)!] ?? '');
      stages.push({ name: fm[2] ?? String(stages.length), from, instructions: [] });
      continue;
    }
    if (stages.length === 0) throw new Error(`Dockerfile line ${start}: ${keyword} before FROM`);
    stages[stages.length - 1]!.instructions.push(ins);
  }
  return stages;
}

/** The instructions of a stage with a given keyword. */
export function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** `ENV` of a stage as a map (both `ENV A=B C=D` and the legacy `ENV A B` forms). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of instructions(stage, 'ENV')) {
    if (!ins.args.includes('=')) {
      const [k, ...v] = ins.args.split(/\s+/);
      env[k!] = v.join(' ');
      continue;
    }
    for (const m of ins.args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) env[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
  }
  return env;
}

/** Ports a stage EXPOSEs. */
export function exposedPorts(stage: Stage): number[] {
  return instructions(stage, 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map((p) => Number(p.split('/')[0])));
}

/**
 * A `.dockerignore` matcher with Docker's rules: patterns are relative to the context root, `*` and `?`
 * stay within one path segment, `**` crosses segments, a pattern excludes a directory with everything in
 * it, `!` re-includes, and the last matching pattern wins.
 */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pat = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      return { negate, re: globToRegExp(pat) };
    });
  return (path: string) => {
    const parts = path.split('/');
    // A path is excluded when it or one of its parent directories matches.
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const r of rules) {
      if (candidates.some((c) => r.re.test(c))) excluded = !r.negate;
    }
    return excluded;
  };
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        re += '(?:.*/)?';
        i++;
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
