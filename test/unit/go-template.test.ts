import { describe, expect, it } from 'vitest';
import { GoTemplate, goStruct, sprintf } from '../../src/cli/go-template/index.js';
import { renderList, tabwrite } from '../../src/cli/list-format.js';

const run = (tmpl: string, data: unknown, missingKeyError = false): string => GoTemplate.parse(tmpl).execute(data, { missingKeyError });

const container = {
  Id: 'abc',
  State: { Status: 'running', Running: true, ExitCode: 0, Pid: 42 },
  Config: { Env: ['A=1', 'B=2'], Labels: { 'com.example.x': 'yes', tier: 'web' }, Cmd: null },
  NetworkSettings: { IPAddress: '', Ports: {} },
};

describe('Go templates', () => {
  it('prints fields, chains and literals', () => {
    expect(run('{{.State.Status}}', container)).toBe('running');
    expect(run('{{.State.Pid}} {{.State.Running}}', container)).toBe('42 true');
    expect(run('[{{.NetworkSettings.IPAddress}}]', container)).toBe('[]');
    expect(run('{{.}}', 'x')).toBe('x');
    expect(run('{{"quoted"}} {{`raw`}} {{12}} {{true}}', {})).toBe('quoted raw 12 true');
    expect(run('{{.Config.Cmd}}', container)).toBe('<nil>');
    expect(run('{{.Config.Env}}', container)).toBe('[A=1 B=2]');
    expect(run('{{.Config.Labels}}', container)).toBe('map[com.example.x:yes tier:web]');
  });

  it('reads \\t and \\n written literally as tab and newline', () => {
    expect(run('{{.Id}}\\t{{.State.Status}}\\n', container)).toBe('abc\trunning\n');
  });

  it('has docker functions: json, index, join, split, upper, lower, title, len, printf, println', () => {
    expect(run('{{json .Config.Labels}}', container)).toBe('{"com.example.x":"yes","tier":"web"}');
    expect(run('{{json .State}}', container)).toBe('{"Status":"running","Running":true,"ExitCode":0,"Pid":42}');
    expect(run('{{index .Config.Labels "com.example.x"}}', container)).toBe('yes');
    expect(run('{{index .Config.Env 1}}', container)).toBe('B=2');
    expect(run('{{join .Config.Env ","}}', container)).toBe('A=1,B=2');
    expect(run('{{split "a:b:c" ":"}}', {})).toBe('[a b c]');
    expect(run('{{index (split "a:b:c" ":") 2}}', {})).toBe('c');
    expect(run('{{upper .State.Status}} {{lower "ABC"}} {{title "hello big world"}}', container)).toBe('RUNNING abc Hello Big World');
    expect(run('{{len .Config.Env}} {{len .Config.Labels}} {{len "four"}}', container)).toBe('2 2 4');
    expect(run('{{printf "%s=%d %5s|%-4s|%05d %q %v %.2f" "x" 3 "ab" "c" 42 "q" .State.Running 3.14159}}', container)).toBe('x=3    ab|c   |00042 "q" true 3.14');
    expect(run('{{range .Config.Env}}{{println .}}{{end}}', container)).toBe('A=1\nB=2\n');
    expect(run('{{.State.Status | upper | printf "<%s>"}}', container)).toBe('<RUNNING>');
    expect(run('{{pad "x" 1 2}}|{{truncate "abcdef" 3}}', {})).toBe(' x  |abc');
  });

  it('runs if/else if/else with comparisons', () => {
    const t = '{{if eq .State.Status "exited"}}stopped{{else if and .State.Running (gt .State.Pid 10)}}up {{.State.Pid}}{{else}}other{{end}}';
    expect(run(t, container)).toBe('up 42');
    expect(run(t, { State: { Status: 'exited', Running: false, Pid: 0 } })).toBe('stopped');
    expect(run(t, { State: { Status: 'created', Running: false, Pid: 0 } })).toBe('other');
    expect(run('{{if ne 1 2}}a{{end}}{{if lt "a" "b"}}b{{end}}{{if not .X}}c{{end}}{{if eq 2 1 2}}d{{end}}', {})).toBe('abcd');
    expect(run('{{if .Config.Env}}has env{{end}}{{if .NetworkSettings.Ports}}ports{{else}}no ports{{end}}', container)).toBe('has envno ports');
  });

  it('ranges over lists and maps with variables, else, break and continue', () => {
    expect(run('{{range $i, $e := .Config.Env}}{{$i}}:{{$e}} {{end}}', container)).toBe('0:A=1 1:B=2 ');
    expect(run('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}', container)).toBe('com.example.x=yes;tier=web;');
    expect(run('{{range .Nope}}x{{else}}empty{{end}}', {})).toBe('empty');
    expect(run('{{range $e := .L}}{{if eq $e 2}}{{continue}}{{end}}{{if eq $e 4}}{{break}}{{end}}{{$e}}{{end}}', { L: [1, 2, 3, 4, 5] })).toBe('13');
    expect(run('{{$n := .Id}}{{range .Config.Env}}{{$n}}-{{.}} {{end}}{{$.Id}}', container)).toBe('abc-A=1 abc-B=2 abc');
    expect(run('{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', {})).toBe('2');
    expect(run('{{with .State}}{{.Status}}{{end}}{{with .Nope}}x{{else}}none{{end}}', container)).toBe('runningnone');
  });

  it('trims around {{- and -}} and skips comments', () => {
    expect(run('a  {{- .Id -}}  \n b{{/* note */}}c', container)).toBe('aabcbc');
  });

  it('calls methods of structs with arguments', () => {
    const row = goStruct('*formatter.containerContext', { Labels: 'a=1', Label: (k: unknown) => (k === 'a' ? '1' : '') });
    expect(run('{{.Label "a"}}|{{.Label "b"}}', row)).toBe('1|');
  });

  it('fails as Go does on a missing field, with its position', () => {
    expect(() => run('{{.Nope}}', container, true)).toThrow('template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"');
    expect(() => run('x\n  {{.State.Nope}}', container, true)).toThrow('template: :2:4: executing "" at <.State.Nope>: map has no entry for key "Nope"');
    expect(run('{{.Nope}}', {})).toBe('<no value>');
    expect(() => run('{{.Nope}}', goStruct('*formatter.imageContext', { ID: 'x' }))).toThrow("can't evaluate field Nope in type *formatter.imageContext");
    expect(() => run('{{index .Config.Env 5}}', container)).toThrow('error calling index: index out of range: 5');
    expect(() => run('{{len 3}}', {})).toThrow('template: :1:2: executing "" at <len 3>: error calling len: len of type int');
    expect(() => run('{{len 1 2}}', {})).toThrow('wrong number of args for len: want 1 got 2');
    expect(() => run('{{.Config.Cmd.Nope}}', container, true)).toThrow('at <.Config.Cmd.Nope>: nil pointer evaluating interface {}.Nope');
    expect(() => run('{{.Id "x"}}', container)).toThrow('Id has arguments but cannot be invoked as function');
    expect(() => run('{{$nope}}', {})).toThrow('undefined variable: $nope');
    expect(() => run('{{lt 1 "a"}}', {})).toThrow('incompatible types for comparison');
  });

  it('refuses bad templates with a parse error', () => {
    expect(() => GoTemplate.parse('{{.Id')).toThrow('template parsing error: template: :1: unclosed action');
    expect(() => GoTemplate.parse('{{nosuch .Id}}')).toThrow('function "nosuch" not defined');
    expect(() => GoTemplate.parse('{{if .X}}x')).toThrow('unexpected EOF');
    expect(() => GoTemplate.parse('{{end}}')).toThrow('unexpected {{end}}');
    expect(() => GoTemplate.parse('{{"a}}')).toThrow('unterminated quoted string');
  });

  it('formats as fmt.Sprintf, including its complaints', () => {
    expect(sprintf('%d%%', [5])).toBe('5%');
    expect(sprintf('%d', ['x'])).toBe('%!d(string=x)');
    expect(sprintf('%s %s', ['a'])).toBe('a %!s(MISSING)');
    expect(sprintf('%x %X', [255, 255])).toBe('ff FF');
  });
});

describe('list formats', () => {
  const spec = { defaultTable: 'table {{.ID}}\t{{.Name}}', headers: { ID: 'CONTAINER ID', Name: 'NAMES' } };
  const rows = [goStruct('t', { ID: 'a1', Name: 'web' }), goStruct('t', { ID: 'b2b2b2b2b2b2b2', Name: 'db' })];

  it('aligns table columns as docker tabwriter does (min width 10, padding 3)', () => {
    expect(tabwrite('A\tBB\tC\nlonger-cell-here\tx\ty\n')).toBe('A                  BB        C\nlonger-cell-here   x         y\n');
    expect(renderList('table', rows, spec)).toBe('CONTAINER ID     NAMES\na1               web\nb2b2b2b2b2b2b2   db\n');
    expect(renderList('table {{.Name}}', rows, spec)).toBe('NAMES\nweb\ndb\n');
  });

  it('prints a bare template per row and json per line', () => {
    expect(renderList('{{.ID}}\t{{.Name}}', rows, spec)).toBe('a1\tweb\nb2b2b2b2b2b2b2\tdb\n');
    expect(renderList('json', rows, spec)).toBe('{"ID":"a1","Name":"web"}\n{"ID":"b2b2b2b2b2b2b2","Name":"db"}\n');
    expect(renderList('{{json .}}', rows.slice(0, 1), spec)).toBe('{"ID":"a1","Name":"web"}\n');
  });
});
