import { describe, expect, it } from 'vitest';
import { escapeXmlAttribute, escapeXmlText, formatTimestamp, XmlWriter } from '../../../src/api/xml.js';

describe('XmlWriter', () => {
  it('escapes markup characters in text and attributes', () => {
    expect(escapeXmlText(`a & b < c > d "e" 'f'`)).toBe(`a &amp; b &lt; c &gt; d "e" 'f'`);
    expect(escapeXmlAttribute(`x"y'z&`)).toBe('x&quot;y&apos;z&amp;');
  });

  it('keeps carriage returns through parsers by writing a character reference', () => {
    expect(escapeXmlText('line1\r\nline2')).toBe('line1&#13;\nline2');
  });

  it('replaces characters XML 1.0 cannot carry instead of emitting an unparsable document', () => {
    expect(escapeXmlText('a\u0000b\u001Fc\uD800d')).toBe('a\uFFFDb\uFFFDc\uFFFDd');
    expect(escapeXmlText('emoji 😀 ok\tTab')).toBe('emoji 😀 ok\tTab');
  });

  it('formats timestamps as ISO-8601 UTC with milliseconds', () => {
    expect(formatTimestamp(new Date(Date.UTC(2026, 10, 24, 10, 0, 0, 123)))).toBe('2026-11-24T10:00:00.123Z');
    expect(formatTimestamp(new Date(Date.UTC(2026, 0, 1)))).toBe('2026-01-01T00:00:00.000Z');
  });

  it('writes leaves, omits null and undefined, and renders booleans, numbers and dates', () => {
    const w = new XmlWriter();
    w.open('R', { xmlns: 'http://rds.amazonaws.com/doc/2014-10-31/' })
      .leaf('S', 'x<y')
      .leaf('N', 42)
      .leaf('B', false)
      .leaf('D', new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)))
      .leaf('Null', null)
      .leaf('Undef', undefined)
      .close();
    expect(w.toString()).toBe('<R xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><S>x&lt;y</S><N>42</N><B>false</B><D>2026-01-02T03:04:05.006Z</D></R>');
  });

  it('writes wrapped lists with the model member name, empty lists as an empty element', () => {
    const w = new XmlWriter();
    w.open('X')
      .list('TagList', 'Tag', [{ k: 'a', v: '1' }], (t, tag) => t.leaf('Key', tag.k).leaf('Value', tag.v))
      .scalarList('Ids', 'member', ['p', 'q'])
      .list('Empty', 'Item', [], () => {})
      .list('Absent', 'Item', undefined, () => {})
      .close();
    expect(w.toString()).toBe('<X><TagList><Tag><Key>a</Key><Value>1</Value></Tag></TagList><Ids><member>p</member><member>q</member></Ids><Empty></Empty></X>');
  });

  it('refuses unbalanced documents, bad names and non-finite numbers', () => {
    expect(() => new XmlWriter().open('A').toString()).toThrow(/unclosed/);
    expect(() => new XmlWriter().close()).toThrow();
    expect(() => new XmlWriter().leaf('bad name', 'x')).toThrow(/invalid XML element name/);
    expect(() => new XmlWriter().leaf('N', Number.NaN)).toThrow(/non-finite/);
  });
});
