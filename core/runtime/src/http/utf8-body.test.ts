import type { IncomingMessage, ServerResponse } from 'node:http';
import { INVALID_UTF8, requireUtf8 } from './utf8-body';

const check = (body: Buffer, encoding = 'utf-8') => {
  try {
    requireUtf8({} as IncomingMessage, {} as ServerResponse, body, encoding);
    return 'ok';
  } catch (err) {
    return (err as { type?: string }).type;
  }
};

describe('requireUtf8', () => {
  it('accepts UTF-8, multi-byte characters and the BOM included', () => {
    expect(check(Buffer.from('{"content":"ünïcödé ✓ 😀"}'))).toBe('ok');
    expect(check(Buffer.from('\uFEFF{}'))).toBe('ok');
    expect(check(Buffer.alloc(0))).toBe('ok');
  });

  it.each([
    ['invalid bytes inside a string', Buffer.concat([Buffer.from('{"content":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')])],
    ['a truncated sequence at the end', Buffer.from([0x7b, 0x7d, 0xe2, 0x82])],
    ['an overlong encoding of "/"', Buffer.from([0xc0, 0xaf])],
    ['an encoded UTF-16 surrogate', Buffer.from([0xed, 0xa0, 0x80])],
  ])('refuses %s', (_name, body) => {
    expect(check(body)).toBe(INVALID_UTF8);
  });

  it('refuses another charset, which body-parser would otherwise decode', () => {
    expect(check(Buffer.from('{}', 'utf16le'), 'utf-16le')).toBe('charset.unsupported');
  });
});
