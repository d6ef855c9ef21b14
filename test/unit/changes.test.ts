import { describe, expect, it } from 'vitest';
import { applyChange, applyChanges } from '../../src/image/changes.js';
import { processWord, splitWords } from '../../src/image/shell-words.js';

describe('--change', () => {
  it('takes CMD and ENTRYPOINT in exec and shell form', () => {
    expect(applyChange({}, 'CMD ["sh"]').Cmd).toEqual(['sh']);
    expect(applyChange({}, 'CMD sh -c "echo hi"').Cmd).toEqual(['/bin/sh', '-c', 'sh -c "echo hi"']);
    expect(applyChange({}, 'cmd [not json').Cmd).toEqual(['/bin/sh', '-c', '[not json']);
    expect(applyChange({}, 'ENTRYPOINT ["/bin/app", "--flag"]').Entrypoint).toEqual(['/bin/app', '--flag']);
    expect(applyChange({}, 'ENTRYPOINT exec app $HOME').Entrypoint).toEqual(['/bin/sh', '-c', 'exec app $HOME']);
  });

  it('sets ENV in both forms, with quotes and expansion of earlier values', () => {
    const c = applyChanges({ Env: ['PATH=/bin'] }, ['ENV A=1 B="two words" C=$A', 'ENV PATH=$PATH:/opt/bin', 'ENV LEGACY some value here', 'ENV A=3']);
    expect(c.Env).toEqual(['PATH=/bin:/opt/bin', 'A=3', 'B=two words', 'C=', 'LEGACY=some value here']);
    const d = applyChanges({}, ['ENV X=1', 'ENV Y=${X}-${UNSET:-def} Z=\'$X\'']);
    expect(d.Env).toEqual(['X=1', 'Y=1-def', 'Z=$X']);
  });

  it('sets WORKDIR (relative to the current one), USER, LABEL, EXPOSE, VOLUME, STOPSIGNAL', () => {
    const c = applyChanges({}, [
      'WORKDIR /app',
      'WORKDIR sub/../src',
      'USER 1000:1000',
      'LABEL a=b "c d"="e f"',
      'LABEL legacy value with spaces',
      'EXPOSE 80 443/tcp 53/udp 8000-8002',
      'VOLUME ["/data", "/logs"]',
      'VOLUME /cache /tmp/x',
      'STOPSIGNAL SIGINT',
    ]);
    expect(c.WorkingDir).toBe('/app/src');
    expect(c.User).toBe('1000:1000');
    expect(c.Labels).toEqual({ a: 'b', 'c d': 'e f', legacy: 'value with spaces' });
    expect(Object.keys(c.ExposedPorts ?? {})).toEqual(['80/tcp', '443/tcp', '53/udp', '8000/tcp', '8001/tcp', '8002/tcp']);
    expect(Object.keys(c.Volumes ?? {})).toEqual(['/data', '/logs', '/cache', '/tmp/x']);
    expect(c.StopSignal).toBe('SIGINT');
    expect(applyChange({}, 'STOPSIGNAL 9').StopSignal).toBe('9');
  });

  it('refuses unknown instructions and bad arguments clearly', () => {
    expect(() => applyChange({}, 'FROM busybox')).toThrow(/^FROM is not a valid change command/);
    expect(() => applyChange({}, 'RUN true')).toThrow(/RUN is not a valid change command/);
    expect(() => applyChange({}, 'CMD')).toThrow(/CMD needs an argument/);
    expect(() => applyChange({}, 'ENV A')).toThrow(/A=value/);
    expect(() => applyChange({}, 'ENV A=1 B')).toThrow(/can't find =/);
    expect(() => applyChange({}, 'EXPOSE 99999')).toThrow(/invalid port/);
    expect(() => applyChange({}, 'EXPOSE 80/foo')).toThrow(/invalid port/);
    expect(() => applyChange({}, 'STOPSIGNAL SIGNOPE')).toThrow(/invalid signal/);
    expect(() => applyChange({}, 'ENV A="unterminated')).toThrow(/unterminated quote/);
    expect(() => applyChange({}, '')).toThrow(/empty change/);
  });

  it('does not change the config it is given', () => {
    const base = { Env: ['A=1'] };
    applyChange(base, 'ENV A=2');
    expect(base.Env).toEqual(['A=1']);
  });
});

describe('shell words', () => {
  it('splits on unquoted whitespace, keeping quotes', () => {
    expect(splitWords(`a "b c" 'd e' f\\ g`)).toEqual(['a', '"b c"', "'d e'", 'f\\ g']);
  });
  it('removes quotes and expands like the Dockerfile lexer', () => {
    const env = ['HOME=/root', 'EMPTY='];
    expect(processWord('"$HOME/x"', env)).toBe('/root/x');
    expect(processWord("'$HOME'", env)).toBe('$HOME');
    expect(processWord('\\$HOME', env)).toBe('$HOME');
    expect(processWord('${EMPTY:-d}${HOME:+set}${NONE}', env)).toBe('dset');
    expect(processWord('cost$5', env)).toBe('cost$5');
  });
});
