import { describe, expect, it } from 'vitest';
import { parseChallenges } from '../../src/image/registry/auth-challenge.js';
import { Authenticator, normalizeScopes, type RegistryCredentials } from '../../src/image/registry/auth.js';
import { PermissionDeniedError, UnavailableError } from '../../src/errors.js';

describe('parseChallenges', () => {
  it("reads Docker Hub's Bearer challenge", () => {
    expect(
      parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'),
    ).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' },
      },
    ]);
  });

  it('reads Basic with a realm that has spaces', () => {
    expect(parseChallenges('Basic realm="Registry Realm"')).toEqual([{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  });

  it('compares schemes and param names case-insensitively', () => {
    const [c] = parseChallenges('BEARER Realm="https://a/t", SERVICE=reg');
    expect(c?.scheme).toBe('bearer');
    expect(c?.params).toEqual({ realm: 'https://a/t', service: 'reg' });
  });

  it('unescapes quoted-pairs and keeps commas and equals signs inside quotes', () => {
    const [c] = parseChallenges('Bearer realm="say \\"hi\\" \\\\ o/",scope="repository:a:pull,push",x="a=b"');
    expect(c?.params).toEqual({ realm: 'say "hi" \\ o/', scope: 'repository:a:pull,push', x: 'a=b' });
  });

  it('splits several challenges in one header', () => {
    const got = parseChallenges('Basic realm="one", Bearer realm="https://a/t", service="two",  Digest realm="three", qop="auth"');
    expect(got.map((c) => c.scheme)).toEqual(['basic', 'bearer', 'digest']);
    expect(got[1]?.params).toEqual({ realm: 'https://a/t', service: 'two' });
    expect(got[2]?.params).toEqual({ realm: 'three', qop: 'auth' });
  });

  it('allows spaces around "=" and empty list elements', () => {
    expect(parseChallenges(' , Bearer realm = "x" ,, service=y ,')).toEqual([{ scheme: 'bearer', params: { realm: 'x', service: 'y' } }]);
  });

  it('reads a token68 and the challenge after it', () => {
    const got = parseChallenges('Negotiate a/b+c==, Basic realm="r"');
    expect(got[0]).toEqual({ scheme: 'negotiate', params: {}, token68: 'a/b+c==' });
    expect(got[1]).toEqual({ scheme: 'basic', params: { realm: 'r' } });
    expect(parseChallenges('Negotiate abc=')[0]?.token68).toBe('abc=');
  });

  it('takes unquoted URLs as values, as registries send them', () => {
    expect(parseChallenges('Bearer realm=https://auth.example.com/token?x=1,service=reg')[0]?.params).toEqual({
      realm: 'https://auth.example.com/token?x=1',
      service: 'reg',
    });
  });

  it('is lenient with broken headers', () => {
    expect(parseChallenges('')).toEqual([]);
    expect(parseChallenges(' , ,')).toEqual([]);
    expect(parseChallenges('Basic')).toEqual([{ scheme: 'basic', params: {} }]);
    expect(parseChallenges('Basic realm="unterminated, still')[0]?.params).toEqual({ realm: 'unterminated, still' });
    expect(parseChallenges('"junk", Basic realm=r').map((c) => c.scheme)).toEqual(['basic']);
  });

  it('keeps the first of repeated params, and params named like Object members as plain data', () => {
    const [c] = parseChallenges('Bearer realm="a", realm="b", __proto__="p", constructor="k"');
    expect(c?.params['realm']).toBe('a');
    expect(c?.params['__proto__']).toBe('p');
    expect(c?.params['constructor']).toBe('k');
    expect(c?.params['toString']).toBeUndefined();
  });
});

describe('normalizeScopes', () => {
  it('merges the actions of one resource and sorts', () => {
    expect(normalizeScopes(['repository:b:pull', 'repository:a:push repository:a:pull', 'registry:catalog:*', 'repository:b:pull'])).toEqual([
      'registry:catalog:*',
      'repository:a:pull,push',
      'repository:b:pull',
    ]);
    expect(normalizeScopes(['repository:host:5000/x:pull'])).toEqual(['repository:host:5000/x:pull']);
  });
});

interface Call {
  url: URL;
  method: string;
  headers: Headers;
  body: string;
}

/** A fetch that records its calls and answers from a handler. */
function fakeFetch(handler: (call: Call) => Response | Promise<Response>): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const call: Call = {
      url: new URL(input instanceof Request ? input.url : input.toString()),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : '',
    };
    calls.push(call);
    return handler(call);
  };
  return { fetch: fn as typeof fetch, calls };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const HUB = 'Bearer realm="https://auth.example.com/token",service="registry.example.com"';
const ALICE = { username: 'alice', password: 's3cr3t-PW!' };

function authenticator(
  handler: (call: Call) => Response | Promise<Response>,
  credentials: RegistryCredentials | undefined = undefined,
  clock?: { now: number },
): { auth: Authenticator; calls: Call[] } {
  const { fetch, calls } = fakeFetch(handler);
  const auth = new Authenticator({
    credentials: () => credentials,
    fetch,
    userAgent: 'berth-test',
    ...(clock ? { now: () => clock.now } : {}),
  });
  return { auth, calls };
}

describe('Authenticator: Basic', () => {
  it('answers with the credentials', async () => {
    const { auth, calls } = authenticator(() => json({}), ALICE);
    const header = await auth.authorize('Basic realm="r"', 'repository:x:pull', 'localhost:5000');
    expect(header).toBe(`Basic ${Buffer.from('alice:s3cr3t-PW!').toString('base64')}`);
    expect(calls).toHaveLength(0);
  });

  it('cannot answer without a username and password', async () => {
    expect(await authenticator(() => json({})).auth.authorize('Basic realm="r"', undefined, 'h')).toBeUndefined();
    expect(await authenticator(() => json({}), { identityToken: 'idt' }).auth.authorize('Basic realm="r"', undefined, 'h')).toBeUndefined();
  });

  it('does not answer schemes it does not speak', async () => {
    expect(await authenticator(() => json({}), ALICE).auth.authorize('Digest realm="r", nonce="n"', undefined, 'h')).toBeUndefined();
  });

  it('asks the credentials callback about the registry it was given', async () => {
    const asked: string[] = [];
    const auth = new Authenticator({
      credentials: (host) => {
        asked.push(host);
        return ALICE;
      },
    });
    await auth.authorize('Basic realm="r"', undefined, 'docker.io');
    expect(asked).toEqual(['docker.io']);
  });
});

describe('Authenticator: Bearer', () => {
  it('fetches an anonymous token with service and scope', async () => {
    const { auth, calls } = authenticator(() => json({ token: 'anon-token' }));
    expect(await auth.authorize(HUB, 'repository:library/busybox:pull', 'docker.io')).toBe('Bearer anon-token');
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.method).toBe('GET');
    expect(`${call.url.origin}${call.url.pathname}`).toBe('https://auth.example.com/token');
    expect(call.url.searchParams.get('service')).toBe('registry.example.com');
    expect(call.url.searchParams.getAll('scope')).toEqual(['repository:library/busybox:pull']);
    expect(call.url.searchParams.has('account')).toBe(false);
    expect(call.headers.has('authorization')).toBe(false);
    expect(call.headers.get('user-agent')).toBe('berth-test');
  });

  it('sends the credentials as Basic auth, with several scopes as repeated params', async () => {
    const { auth, calls } = authenticator(() => json({ access_token: 'user-token', expires_in: 300 }), ALICE);
    const challenge = `${HUB},scope="repository:other:pull"`;
    expect(await auth.authorize(challenge, 'repository:mine:pull repository:mine:push', 'registry.example.com')).toBe('Bearer user-token');
    const call = calls[0]!;
    expect(call.headers.get('authorization')).toBe(`Basic ${Buffer.from('alice:s3cr3t-PW!').toString('base64')}`);
    expect(call.url.searchParams.get('account')).toBe('alice');
    expect(call.url.searchParams.getAll('scope')).toEqual(['repository:mine:pull,push', 'repository:other:pull']);
  });

  it('keeps query params the realm already has', async () => {
    const { auth, calls } = authenticator(() => json({ token: 't' }));
    await auth.authorize('Bearer realm="https://a.example/token?tenant=7",service="s"', 'repository:x:pull', 'h');
    expect(calls[0]!.url.searchParams.get('tenant')).toBe('7');
  });

  it('asks for no scope when there is none (docker login)', async () => {
    const { auth, calls } = authenticator(() => json({ token: 't' }), ALICE);
    await auth.authorize(HUB, undefined, 'h');
    expect(calls[0]!.url.searchParams.has('scope')).toBe(false);
  });

  it('caches tokens per scope set and per credential', async () => {
    let n = 0;
    const creds: { current: RegistryCredentials | undefined } = { current: undefined };
    const { fetch, calls } = fakeFetch(() => json({ token: `t${++n}`, expires_in: 300 }));
    const auth = new Authenticator({ credentials: () => creds.current, fetch });
    expect(await auth.authorize(HUB, 'repository:a:pull', 'h')).toBe('Bearer t1');
    expect(await auth.authorize(HUB, 'repository:a:pull', 'h')).toBe('Bearer t1');
    expect(await auth.authorize(HUB, 'repository:b:pull', 'h')).toBe('Bearer t2');
    // The same set asked in another form is the same token.
    expect(await auth.authorize(HUB, ['repository:c:push', 'repository:c:pull'], 'h')).toBe('Bearer t3');
    expect(await auth.authorize(HUB, 'repository:c:pull,push', 'h')).toBe('Bearer t3');
    creds.current = ALICE;
    expect(await auth.authorize(HUB, 'repository:a:pull', 'h')).toBe('Bearer t4');
    creds.current = { username: 'alice', password: 'other' };
    expect(await auth.authorize(HUB, 'repository:a:pull', 'h')).toBe('Bearer t5');
    expect(calls).toHaveLength(5);
  });

  it('fetches again shortly before expires_in runs out', async () => {
    const clock = { now: 1_000_000 };
    let n = 0;
    const { auth, calls } = authenticator(() => json({ token: `t${++n}`, expires_in: 300 }), undefined, clock);
    expect(await auth.authorize(HUB, 'repository:a:pull', 'h')).toBe('Bearer t1');
    clock.now += 289_000;
    expect(await auth.authorize(HUB, 'repository:a:pull', 'h')).toBe('Bearer t1');
    clock.now += 2_000;
    expect(await auth.authorize(HUB, 'repository:a:pull', 'h')).toBe('Bearer t2');
    expect(calls).toHaveLength(2);
  });

  it('takes a token to live 60 s when the server does not say', async () => {
    const clock = { now: 5_000_000 };
    let n = 0;
    const { auth } = authenticator(() => json({ token: `t${++n}` }), undefined, clock);
    await auth.authorize(HUB, 'repository:a:pull', 'h');
    clock.now += 53_000;
    expect(await auth.authorize(HUB, 'repository:a:pull', 'h')).toBe('Bearer t1');
    clock.now += 2_000;
    expect(await auth.authorize(HUB, 'repository:a:pull', 'h')).toBe('Bearer t2');
  });

  it('counts the life of a token from issued_at, but not from the future', async () => {
    const clock = { now: Date.parse('2030-01-01T00:10:00Z') };
    let n = 0;
    let issuedAt = '2030-01-01T00:08:20Z'; // 100 s ago
    const { auth } = authenticator(() => json({ token: `t${++n}`, expires_in: 120, issued_at: issuedAt }), undefined, clock);
    await auth.authorize(HUB, 'repository:a:pull', 'h');
    // 120 s of life, 100 s gone, the last 10 s not used.
    clock.now += 9_000;
    expect(await auth.authorize(HUB, 'repository:a:pull', 'h')).toBe('Bearer t1');
    clock.now += 2_000;
    expect(await auth.authorize(HUB, 'repository:a:pull', 'h')).toBe('Bearer t2');

    issuedAt = '2031-01-01T00:00:00Z';
    const { auth: skewed } = authenticator(() => json({ token: 'future', expires_in: 120, issued_at: issuedAt }), undefined, clock);
    await skewed.authorize(HUB, 'repository:a:pull', 'h');
    clock.now += 100_000;
    expect(await skewed.authorize(HUB, 'repository:a:pull', 'h')).toBe('Bearer future');
  });

  it('shares one request between callers asking at once', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { auth, calls } = authenticator(async () => {
      await gate;
      return json({ token: 'shared' });
    });
    const all = Promise.all([1, 2, 3, 4, 5].map(() => auth.authorize(HUB, 'repository:a:pull', 'h')));
    release();
    expect(await all).toEqual(Array(5).fill('Bearer shared'));
    expect(calls).toHaveLength(1);
  });

  it('does not cache a failure', async () => {
    let fail = true;
    const { auth, calls } = authenticator(() => (fail ? new Response('down', { status: 503 }) : json({ token: 'ok' })));
    await expect(auth.authorize(HUB, 'repository:a:pull', 'h')).rejects.toBeInstanceOf(UnavailableError);
    fail = false;
    expect(await auth.authorize(HUB, 'repository:a:pull', 'h')).toBe('Bearer ok');
    expect(calls).toHaveLength(2);
  });

  it('drops an invalidated token, and one the registry calls invalid_token', async () => {
    let n = 0;
    const { auth } = authenticator(() => json({ token: `t${++n}`, expires_in: 300 }));
    const first = await auth.authorize(HUB, 'repository:a:pull', 'h');
    auth.invalidate(first!);
    expect(await auth.authorize(HUB, 'repository:a:pull', 'h')).toBe('Bearer t2');
    expect(await auth.authorize(`${HUB},error="invalid_token"`, 'repository:a:pull', 'h')).toBe('Bearer t3');
  });

  it('uses the OAuth2 refresh-token POST with an identity token', async () => {
    const { auth, calls } = authenticator(() => json({ access_token: 'from-refresh', expires_in: 300 }), { identityToken: 'idt-SECRET' });
    expect(await auth.authorize(HUB, 'repository:a:pull repository:b:pull', 'h')).toBe('Bearer from-refresh');
    const call = calls[0]!;
    expect(call.method).toBe('POST');
    expect(call.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(call.headers.has('authorization')).toBe(false);
    const form = new URLSearchParams(call.body);
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'idt-SECRET',
      client_id: 'docker',
      service: 'registry.example.com',
      scope: 'repository:a:pull repository:b:pull',
    });
    expect(call.url.search).toBe('');
  });

  it('refuses challenges it cannot follow', async () => {
    const { auth } = authenticator(() => json({ token: 't' }));
    await expect(auth.authorize('Bearer service="s"', undefined, 'h')).rejects.toThrow(/without a valid realm/);
    await expect(auth.authorize('Bearer realm="file:///etc/passwd"', undefined, 'h')).rejects.toThrow(/not an http\(s\) URL/);
  });

  it('says so when the answer is not a token', async () => {
    await expect(authenticator(() => new Response('<html>')).auth.authorize(HUB, undefined, 'h')).rejects.toThrow(
      'getting a token from https://auth.example.com/token: the answer is not JSON',
    );
    await expect(authenticator(() => json({ token: '' })).auth.authorize(HUB, undefined, 'h')).rejects.toThrow(/the answer holds no token/);
  });
});

describe('Authenticator: errors', () => {
  it("gives docker's words when the token server refuses the credentials", async () => {
    const refused = authenticator(() => new Response('', { status: 401 }), ALICE).auth.authorize(HUB, undefined, 'h');
    await expect(refused).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(refused).rejects.toThrow(/^unauthorized: incorrect username or password$/);
    await expect(authenticator(() => new Response('', { status: 403 })).auth.authorize(HUB, undefined, 'h')).rejects.toThrow(
      /^unauthorized: authentication required$/,
    );
  });

  it("passes on the server's text from details or errors, on one line", async () => {
    await expect(
      authenticator(() => json({ details: 'incorrect username or password' }, 401), ALICE).auth.authorize(HUB, undefined, 'h'),
    ).rejects.toThrow(/^unauthorized: incorrect username or password$/);
    await expect(
      authenticator(() => json({ errors: [{ code: 'DENIED', message: 'account\nlocked  for now' }] }, 403), ALICE).auth.authorize(HUB, undefined, 'h'),
    ).rejects.toThrow(/^denied: account locked for now$/);
    await expect(
      authenticator(() => json({ error: 'invalid_grant', error_description: 'refresh token expired' }, 401), { identityToken: 'idt-123456' }).auth.authorize(
        HUB,
        undefined,
        'h',
      ),
    ).rejects.toThrow(/^unauthorized: refresh token expired$/);
  });

  it('reports other statuses and network failures as unavailable', async () => {
    await expect(authenticator(() => json({ errors: [{ message: 'overloaded' }] }, 502)).auth.authorize(HUB, undefined, 'h')).rejects.toThrow(
      'getting a token from https://auth.example.com/token: 502: overloaded',
    );
    const down = authenticator(() => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 10.0.0.1:443') });
    }).auth.authorize(HUB, undefined, 'h');
    await expect(down).rejects.toBeInstanceOf(UnavailableError);
    await expect(down).rejects.toThrow('getting a token from https://auth.example.com/token: connect ECONNREFUSED 10.0.0.1:443');
  });

  it('never puts a secret into an error, even when the server echoes it', async () => {
    const password = 'hunter2-very-secret';
    const identityToken = 'idtok-0123456789abcdef';
    const cases: Array<{ credentials: RegistryCredentials; secrets: string[] }> = [
      {
        credentials: { username: 'alice', password },
        secrets: [password, encodeURIComponent(password), Buffer.from(password).toString('base64'), Buffer.from(`alice:${password}`).toString('base64')],
      },
      { credentials: { identityToken }, secrets: [identityToken, Buffer.from(identityToken).toString('base64')] },
    ];
    for (const { credentials, secrets } of cases) {
      // Everything the request carried, and each secret in every form, back in the answer.
      const echo = (call: Call): string =>
        [`you sent Authorization: ${call.headers.get('authorization') ?? ''}`, `query ${call.url.search}`, `body: ${call.body}`, ...secrets].join('\n');
      const answers: Array<(call: Call) => Response> = [
        (call) => json({ details: echo(call) }, 401),
        (call) => json({ errors: [{ code: 'UNAUTHORIZED', message: echo(call) }] }, 403),
        (call) => json({ error: 'invalid_grant', error_description: echo(call) }, 401),
        (call) => json({ errors: [{ message: echo(call) }] }, 500),
        (call) => {
          throw new TypeError('fetch failed', { cause: new Error(echo(call)) });
        },
      ];
      for (const answer of answers) {
        const { auth } = authenticator(answer, credentials);
        const err = await auth.authorize(HUB, 'repository:a:pull', 'h').then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(Error);
        const text = `${(err as Error).message}\n${(err as Error).stack ?? ''}\n${String((err as Error).cause ?? '')}`;
        expect(text).toContain('[redacted]');
        for (const secret of secrets) expect(text).not.toContain(secret);
        expect((err as Error).message).not.toContain('\n');
      }
    }
  });
});
