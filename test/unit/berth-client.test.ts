/**
 * berth-client (native/client) against a fake berth service speaking native/client/PROTOCOL.md
 * on a unix socket in a temporary run root. Runs the real built binary; needs no root.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/env.js';
import { hasScript } from '../helpers/terminal.js';

const clientPath = path.join(repoRoot, 'build', 'Release', 'berth-client');
const built = existsSync(clientPath);
if (!built) process.stderr.write(`SKIPPED berth-client tests: ${clientPath} is not built (run 'npx node-gyp rebuild')\n`);

interface Frame {
  type: string;
  payload: Buffer;
}

interface Request {
  flags: number;
  rows: number;
  cols: number;
  argv: string[];
  env: string[];
  cwd: string;
}

function frame(type: string, payload: Buffer | number[] = []): Buffer {
  const body = Buffer.from(payload);
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function parseRequest(p: Buffer): Request {
  let off = 8;
  const strings = (): string[] => {
    const n = p.readUInt32BE(off);
    off += 4;
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const end = p.indexOf(0, off);
      if (end < 0) throw new Error('request: a string without its NUL');
      out.push(p.toString('utf8', off, end));
      off = end + 1;
    }
    return out;
  };
  const argv = strings();
  const env = strings();
  const end = p.indexOf(0, off);
  if (end !== p.length - 1) throw new Error(`request: ${p.length - off} bytes after the environment, not one NUL-terminated cwd`);
  return { flags: p.readUInt32BE(0), rows: p.readUInt16BE(4), cols: p.readUInt16BE(6), argv, env, cwd: p.toString('utf8', off, end) };
}

/** One client's connection, seen from the fake service. */
class Conn {
  private buf = Buffer.alloc(0);
  private readonly queue: Array<Frame | null> = [];
  private readonly waiters: Array<(f: Frame | null) => void> = [];

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 5 && this.buf.length >= 5 + this.buf.readUInt32BE(1)) {
        const len = this.buf.readUInt32BE(1);
        this.push({ type: this.buf.toString('latin1', 0, 1), payload: this.buf.subarray(5, 5 + len) });
        this.buf = this.buf.subarray(5 + len);
      }
    });
    socket.on('close', () => this.push(null));
    socket.on('error', () => {});
  }

  private push(f: Frame | null): void {
    const w = this.waiters.shift();
    if (w) w(f);
    else this.queue.push(f);
  }

  /** The next frame from the client; null once it has closed the connection. */
  next(): Promise<Frame | null> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift() ?? null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async request(): Promise<Request> {
    const f = await this.next();
    if (f?.type !== 'R') throw new Error(`expected R first, got ${f ? f.type : 'the end'}`);
    return parseRequest(f.payload);
  }

  /** I frames until the empty one that ends stdin; the data and how many frames carried it. */
  async input(): Promise<{ data: string; frames: number }> {
    let data = '';
    let frames = 0;
    for (;;) {
      const f = await this.next();
      if (f === null) throw new Error('the client closed before its empty I frame');
      if (f.type !== 'I') continue;
      if (f.payload.length === 0) return { data, frames };
      data += f.payload.toString('utf8');
      frames++;
    }
  }

  send(type: string, payload: Buffer | number[] = []): void {
    this.socket.write(frame(type, payload));
  }

  exit(code: number): void {
    this.send('X', u32(code));
    this.socket.end();
  }
}

/** A fake `berth system service` on RUNROOT/cli.sock; each connection goes to handler. */
class FakeService {
  readonly errors: unknown[] = [];
  readonly requests: Request[] = [];
  private readonly server: net.Server;
  private readonly handlers: Array<Promise<void>> = [];

  constructor(runRoot: string, handler: (c: Conn) => Promise<void>) {
    this.server = net.createServer((socket) => {
      const c = new Conn(socket);
      const original = c.request.bind(c);
      c.request = async () => {
        const r = await original();
        this.requests.push(r);
        return r;
      };
      this.handlers.push(
        handler(c).catch((err: unknown) => {
          this.errors.push(err);
          socket.destroy();
        }),
      );
    });
    this.server.listen(path.join(runRoot, 'cli.sock'));
  }

  async listening(): Promise<this> {
    if (!this.server.listening) await new Promise((resolve) => this.server.once('listening', resolve));
    return this;
  }

  /** Waits for every connection's handler to finish, then stops listening. */
  async close(): Promise<void> {
    await Promise.all(this.handlers);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess, timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out; stdout: ${stdout}; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

let tmp: string;
let runRoot: string;
let entry: string;
/** The client execs `node` from PATH when it falls back: the node running these tests. */
const basePath = `${path.dirname(process.execPath)}:${process.env['PATH'] ?? '/usr/bin:/bin'}`;

function runClient(args: string[], opts: { env?: Record<string, string>; cwd?: string; input?: string } = {}): Promise<Run> {
  const child = spawn(clientPath, [entry, ...args], {
    env: { PATH: basePath, ...opts.env },
    cwd: opts.cwd ?? tmp,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.on('error', () => {});
  child.stdin.end(opts.input ?? '');
  return collect(child);
}

/** What the fallback ENTRY prints: its arguments, all of its stdin, and the kinds of its fds above 2. */
interface EntryReport {
  argv: string[];
  stdin: string;
  fds: string[];
}

const ENTRY_SCRIPT = `
const fs = require('node:fs');
const fds = [];
for (const fd of fs.readdirSync('/proc/self/fd')) {
  if (Number(fd) <= 2) continue;
  try { fds.push(fs.readlinkSync('/proc/self/fd/' + fd).replace(/[0-9]+/g, 'N')); } catch {}
}
process.stdout.write(JSON.stringify({ argv: process.argv.slice(2), stdin: fs.readFileSync(0, 'utf8'), fds: fds.sort() }));
`;

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-client-'));
  runRoot = path.join(tmp, 'run');
  mkdirSync(runRoot);
  entry = path.join(tmp, 'entry.cjs');
  writeFileSync(entry, ENTRY_SCRIPT);
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

it.runIf(process.env['CI'])('berth-client is built in CI (node-gyp builds it on npm install)', () => {
  expect(existsSync(clientPath), `${clientPath} is missing`).toBe(true);
});

describe.skipIf(!built)('berth-client', () => {
  let service: FakeService | undefined;
  afterEach(async () => {
    await service?.close();
    expect(service?.errors ?? []).toEqual([]);
    service = undefined;
  });
  const serve = async (handler: (c: Conn) => Promise<void>): Promise<FakeService> => {
    service = await new FakeService(runRoot, handler).listening();
    return service;
  };

  it('sends the command line, environment, working directory and no terminal flags over pipes', async () => {
    const s = await serve(async (c) => {
      await c.request();
      c.exit(0);
    });
    const args = ['--run-root', runRoot, 'run', 'a b', '', 'ünïcødé ✓ 🐳', '--name=x y'];
    const r = await runClient(args, { env: { FOO: 'bar baz', UNI: 'é=ü' } });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const [req] = s.requests;
    expect(req).toEqual({ flags: 0, rows: 0, cols: 0, argv: args, env: [`PATH=${basePath}`, 'FOO=bar baz', 'UNI=é=ü'], cwd: realpathSync(tmp) });
  });

  it('sends a request bigger than the socket buffers', async () => {
    const s = await serve(async (c) => {
      await c.request();
      c.exit(0);
    });
    const big = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`BIG${i}`, String(i).repeat(100_000)]));
    const r = await runClient(['--run-root', runRoot, 'ps'], { env: big });
    expect(r.code).toBe(0);
    expect(s.requests[0]?.env).toEqual([`PATH=${basePath}`, ...Object.entries(big).map(([k, v]) => `${k}=${v}`)]);
  });

  it('runs node itself when the request is over 1 MiB, without connecting', async () => {
    const s = await serve(async (c) => {
      await c.request();
      c.exit(9);
    });
    const big = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`BIG${i}`, 'x'.repeat(120_000)]));
    const r = await runClient(['--run-root', runRoot, 'ps'], { env: big });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as EntryReport).argv).toEqual(['--run-root', runRoot, 'ps']);
    expect(s.requests).toEqual([]);
  });

  it('relays O to stdout and E to stderr, with frames split at any byte', async () => {
    const big = Buffer.alloc(200_000, 'o');
    await serve(async (c) => {
      await c.request();
      c.send('O', Buffer.from('out1\n'));
      c.send('E', Buffer.from('err1\n'));
      for (let off = 0; off < big.length; off += 65536) c.send('O', big.subarray(off, off + 65536));
      // One byte at a time, across the header and the payload.
      for (const byte of frame('E', Buffer.from('err2\n'))) {
        c.socket.write(Buffer.from([byte]));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      c.exit(0);
    });
    const r = await runClient(['--run-root', runRoot, 'logs', 'x']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`out1\n${big.toString()}`);
    expect(r.stderr).toBe('err1\nerr2\n');
  });

  it.each([0, 3, 255])('exits with the code in X (%i)', async (code) => {
    await serve(async (c) => {
      await c.request();
      c.exit(code);
    });
    const r = await runClient(['--run-root', runRoot, 'wait', 'x']);
    expect(r).toMatchObject({ code, stderr: '' });
  });

  it('after S sends stdin as I frames, then an empty I at its end', async () => {
    const input = `hello\n${'z'.repeat(150_000)}\nworld`;
    let got: { data: string; frames: number } | undefined;
    await serve(async (c) => {
      await c.request();
      c.send('S');
      got = await c.input();
      c.send('O', Buffer.from('done\n'));
      c.exit(0);
    });
    const r = await runClient(['--run-root', runRoot, 'run', '-i', 'img', 'cat'], { input });
    expect(r).toMatchObject({ code: 0, stdout: 'done\n' });
    expect(got?.data).toBe(input);
    // No I frame carries more than 64 KiB.
    expect(got?.frames).toBeGreaterThanOrEqual(3);
  });

  it('leaves stdin unread without S, for whoever reads it next', async () => {
    const frames: string[] = [];
    await serve(async (c) => {
      await c.request();
      const next = c.next();
      const quiet = await Promise.race([next.then((f) => f), new Promise<'quiet'>((resolve) => setTimeout(() => resolve('quiet'), 300))]);
      if (quiet !== 'quiet') frames.push(quiet ? quiet.type : 'end');
      c.send('O', Buffer.from('done\n'));
      c.exit(0);
    });
    const child = spawn('sh', ['-c', '"$@"; cat', 'sh', clientPath, entry, '--run-root', runRoot, 'ps'], {
      env: { PATH: basePath },
      cwd: tmp,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end('unread input\n');
    const r = await collect(child);
    expect(frames).toEqual([]);
    expect(r).toMatchObject({ code: 0, stdout: 'done\nunread input\n', stderr: '' });
  });

  it('runs node ENTRY ARGS itself on F, with stdin unread and no fd of its own left open', async () => {
    const s = await serve(async (c) => {
      await c.request();
      c.send('F');
      c.socket.end();
    });
    const args = ['--run-root', runRoot, 'system', 'service', 'a b', 'ü'];
    const r = await runClient(args, { input: 'for node\n' });
    expect(s.requests).toHaveLength(1);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(r.stdout) as EntryReport;
    expect(report.argv).toEqual(args);
    expect(report.stdin).toBe('for node\n');
    // The same script run by node directly has the same fds: the client's socket and self-pipe died at exec.
    const direct = JSON.parse(execFileSync(process.execPath, [entry], { input: '', cwd: tmp, encoding: 'utf8' })) as EntryReport;
    expect(report.fds).toEqual(direct.fds);
  });

  it('runs node ENTRY ARGS itself when no service listens', async () => {
    const r = await runClient(['--run-root', runRoot, 'ps', '-a'], { input: 'x' });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject({ argv: ['--run-root', runRoot, 'ps', '-a'], stdin: 'x' });
  });

  it('runs node ENTRY ARGS itself when the socket refuses (a service that was killed)', async () => {
    const sock = path.join(runRoot, 'cli.sock');
    const dead = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(sock)}, () => console.log('up'))`]);
    await new Promise((resolve) => dead.stdout.once('data', resolve));
    dead.kill('SIGKILL');
    await new Promise((resolve) => dead.once('exit', resolve));
    expect(existsSync(sock)).toBe(true);
    const r = await runClient(['--run-root', runRoot, 'ps']);
    expect(JSON.parse(r.stdout)).toMatchObject({ argv: ['--run-root', runRoot, 'ps'] });
  });

  it('says so when node cannot be run', async () => {
    const child = spawn(clientPath, [entry, '--run-root', runRoot, 'ps'], { env: { PATH: tmp }, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end();
    const r = await collect(child);
    expect(r).toMatchObject({ code: 127, stderr: 'berth: cannot run node: No such file or directory\n' });
  });

  it('exits 125 when the connection closes before X', async () => {
    await serve(async (c) => {
      await c.request();
      c.send('O', Buffer.from('partial\n'));
      c.socket.end();
    });
    const r = await runClient(['--run-root', runRoot, 'ps']);
    expect(r).toEqual({ code: 125, signal: null, stdout: 'partial\n', stderr: 'berth: lost the connection to the berth service\n' });
  });

  it('exits 125 when the service closes before any frame (it does not fall back: the command may have run)', async () => {
    await serve(async (c) => {
      await c.request();
      c.socket.end();
    });
    const r = await runClient(['--run-root', runRoot, 'rm', 'x']);
    expect(r).toMatchObject({ code: 125, stdout: '', stderr: 'berth: lost the connection to the berth service\n' });
  });

  const badFrames: Array<[string, Buffer]> = [
    ['a payload over 1 MiB', Buffer.concat([Buffer.from('O'), u32(1024 * 1024 + 1)])],
    ['an unknown type', frame('Z', Buffer.from('?'))],
    ['F after another frame', Buffer.concat([frame('O', Buffer.from('x')), frame('F')])],
    ['an exit code over 255', frame('X', u32(256))],
    ['a short X', frame('X', [0, 0])],
    ['T with a value other than 0 and 1', frame('T', [2])],
  ];
  it.each(badFrames)('exits 125 on %s, without waiting for more', async (_name, bytes) => {
    let clientClosedFirst = false;
    const s = await serve(async (c) => {
      await c.request();
      c.socket.write(bytes);
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 3000));
      clientClosedFirst = (await Promise.race([c.next(), timeout])) === null;
      c.socket.end();
    });
    const r = await runClient(['--run-root', runRoot, 'ps']);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe('berth: bad frame from the berth service\n');
    await s.close();
    expect(clientClosedFirst).toBe(true);
  });

  it('ends by SIGPIPE like cat when its stdout is closed', async () => {
    let closed = false;
    const s = await serve(async (c) => {
      await c.request();
      const chunk = Buffer.alloc(65536, 'y');
      const timer = setInterval(() => c.send('O', chunk), 10);
      closed = (await c.next()) === null;
      clearInterval(timer);
    });
    const child = spawn(clientPath, [entry, '--run-root', runRoot, 'logs', '-f', 'x'], { env: { PATH: basePath }, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end();
    child.stdout.once('data', () => child.stdout.destroy());
    const r = await collect(child);
    expect(r.signal).toBe('SIGPIPE');
    await s.close();
    expect(closed).toBe(true);
  });

  describe('finds RUNROOT as the CLI does', () => {
    const cases: Array<[string, (root: string) => string[], (root: string) => Record<string, string>]> = [
      ['--run-root X', (root) => ['--run-root', root, 'ps'], () => ({})],
      ['--run-root=X', (root) => [`--run-root=${root}`, 'ps'], () => ({})],
      ['BERTH_RUN_ROOT', () => ['ps'], (root) => ({ BERTH_RUN_ROOT: root })],
      ['--run-root over BERTH_RUN_ROOT', (root) => ['--run-root', root, 'ps'], () => ({ BERTH_RUN_ROOT: '/nonexistent' })],
      ['an empty --run-root= as none', () => ['--run-root=', 'ps'], (root) => ({ BERTH_RUN_ROOT: root })],
      ['the last of two', (root) => ['--run-root=/nonexistent', '--run-root', root, 'ps'], () => ({})],
      ['after global flags with values', (root) => ['--log-level', 'debug', '-l', 'info', '--root', '/x', '-vl', 'warn', '--run-root', root, 'ps'], () => ({})],
      ['relative to the working directory', () => ['--run-root', 'run', 'ps'], () => ({})],
    ];
    it.each(cases)('%s', async (_name, args, env) => {
      const s = await serve(async (c) => {
        await c.request();
        c.exit(7);
      });
      const r = await runClient(args(runRoot), { env: env(runRoot) });
      expect(r.code).toBe(7);
      expect(s.requests).toHaveLength(1);
    });

    it('not after the command word, nor as the value of another flag', async () => {
      const s = await serve(async (c) => {
        await c.request();
        c.exit(7);
      });
      const elsewhere = path.join(tmp, 'elsewhere');
      mkdirSync(elsewhere);
      for (const args of [
        ['ps', '--run-root', runRoot],
        ['--config', '--run-root', runRoot, 'ps'],
        ['-l', '--run-root', runRoot, 'ps'],
      ]) {
        const r = await runClient(args, { env: { BERTH_RUN_ROOT: elsewhere } });
        expect(r.code, args.join(' ')).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ argv: args });
      }
      expect(s.requests).toEqual([]);
    });

    it('a socket path too long for a unix address is no service', async () => {
      let deep = runRoot;
      while (deep.length < 120) deep = path.join(deep, 'd'.repeat(20));
      const r = await runClient(['--run-root', deep, 'ps']);
      expect(JSON.parse(r.stdout)).toMatchObject({ argv: ['--run-root', deep, 'ps'] });
    });
  });
});

/** The pid of the berth-client started with this run root (a child of `script`'s shell). */
function clientPid(root: string): number {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv[0] === clientPath && argv.includes(root)) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error('berth-client is not running');
}

/** `stty -a` of the terminal on a process's fd. */
function sttyOf(pid: number, fd: number): string {
  return execFileSync('stty', ['-F', `/proc/${pid}/fd/${fd}`, '-a'], { encoding: 'utf8' });
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const isRaw = (stty: string): boolean => /(^|\s)-isig(\s|$)/.test(stty) && /(^|\s)-icanon(\s|$)/.test(stty) && /(^|\s)-echo(\s|$)/.test(stty);
const isCooked = (stty: string): boolean => /(^|\s)isig(\s|$)/.test(stty) && /(^|\s)icanon(\s|$)/.test(stty) && /(^|\s)echo(\s|$)/.test(stty);

describe.skipIf(!built || !hasScript)('berth-client on a terminal', () => {
  let service: FakeService | undefined;
  afterEach(async () => {
    await service?.close();
    expect(service?.errors ?? []).toEqual([]);
    service = undefined;
  });

  /** Runs the client under util-linux `script`, then `stty -a` on the same terminal; the shell prints the client's status. */
  function underScript(): { child: ChildProcess; done: Promise<Run> } {
    const q = (word: string): string => `'${word.replaceAll("'", "'\\''")}'`;
    const command = `stty rows 40 cols 120; ${q(clientPath)} ${q(entry)} --run-root ${q(runRoot)} run -it img sh; echo "status=$?"; stty -a`;
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { env: { PATH: basePath }, cwd: tmp, stdio: ['pipe', 'pipe', 'pipe'] });
    return { child, done: collect(child, 20_000) };
  }

  it('T 1 makes the terminal raw (ctrl-c is data), W follows a resize, T 0 puts it back', async () => {
    let typed = '';
    let resized: number[] = [];
    let request: Request | undefined;
    let cookedAgain = false;
    const script: { child?: ChildProcess } = {};
    service = await new FakeService(runRoot, async (c) => {
      request = await c.request();
      const pid = clientPid(runRoot);
      c.send('T', [1]);
      c.send('S');
      await until('raw mode', () => isRaw(sttyOf(pid, 0)));
      script.child?.stdin?.write('\x03');
      const f = await c.next();
      typed = f?.type === 'I' ? f.payload.toString('latin1') : `not I: ${f?.type}`;
      // stty sets rows and columns one ioctl at a time: each may be a SIGWINCH, and a W of its own.
      execFileSync('stty', ['-F', `/proc/${pid}/fd/1`, 'rows', '50', 'cols', '132']);
      while (resized[1] !== 132) {
        const w = await c.next();
        if (w?.type !== 'W') throw new Error(`expected W, got ${w ? w.type : 'the end'}`);
        resized = [w.payload.readUInt16BE(0), w.payload.readUInt16BE(2)];
      }
      c.send('T', [0]);
      await until('cooked mode', () => isCooked(sttyOf(pid, 0)));
      cookedAgain = true;
      c.exit(0);
    }).listening();
    const run = underScript();
    script.child = run.child;
    const r = await run.done;
    expect(request).toMatchObject({ flags: 7, rows: 40, cols: 120 });
    expect(typed).toBe('\x03');
    expect(resized).toEqual([50, 132]);
    expect(cookedAgain).toBe(true);
    expect(r.stdout).toMatch(/status=0/);
  });

  it('puts the terminal back when X comes while it is raw', async () => {
    service = await new FakeService(runRoot, async (c) => {
      await c.request();
      const pid = clientPid(runRoot);
      c.send('T', [1]);
      await until('raw mode', () => isRaw(sttyOf(pid, 0)));
      c.exit(4);
    }).listening();
    const r = await underScript().done;
    const after = r.stdout.slice(r.stdout.indexOf('status='));
    expect(after).toMatch(/^status=4/);
    expect(isCooked(after)).toBe(true);
  });

  it('puts the terminal back when SIGTERM ends it while raw, and dies of SIGTERM', async () => {
    service = await new FakeService(runRoot, async (c) => {
      await c.request();
      const pid = clientPid(runRoot);
      c.send('T', [1]);
      await until('raw mode', () => isRaw(sttyOf(pid, 0)));
      process.kill(pid, 'SIGTERM');
      await c.next();
    }).listening();
    const r = await underScript().done;
    const after = r.stdout.slice(r.stdout.indexOf('status='));
    expect(after).toMatch(/^status=143/);
    expect(isCooked(after)).toBe(true);
  });
});
