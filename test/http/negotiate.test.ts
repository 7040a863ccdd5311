/**
 * Accept negotiation (RFC 9110 §12.5.1) through negotiator, against the representations as sent.
 */
import { contentTypeValue, negotiateMediaType } from '../../src/http/negotiate';

const json = ['application/json'];
const docs = ['text/html', 'application/json'];

describe('negotiateMediaType', () => {
  it('answers the first produced type when the client states no preference', () => {
    expect(negotiateMediaType(undefined, docs)).toBe('text/html');
    expect(negotiateMediaType('*/*', docs)).toBe('text/html');
  });

  it("picks the client's most preferred type by q-value and specificity", () => {
    expect(negotiateMediaType('text/html;q=0.5, application/json', docs)).toBe('application/json');
    expect(negotiateMediaType('application/*;q=0.2, text/*;q=0.9', docs)).toBe('text/html');
  });

  it('accepts a charset parameter that names what is sent, and refuses another charset', () => {
    expect(negotiateMediaType('application/json; charset=utf-8', json)).toBe('application/json');
    expect(negotiateMediaType('application/json;charset=UTF-8', json)).toBe('application/json');
    expect(negotiateMediaType('application/json; charset=iso-8859-1', json)).toBeUndefined();
  });

  it('is undefined (406) when nothing produced is acceptable, q=0 included', () => {
    expect(negotiateMediaType('text/plain', json)).toBeUndefined();
    expect(negotiateMediaType('application/json;q=0', json)).toBeUndefined();
    expect(negotiateMediaType('garbage', json)).toBeUndefined();
  });
});

describe('contentTypeValue', () => {
  it('adds charset=utf-8 to JSON and text types only', () => {
    expect(contentTypeValue('application/json')).toBe('application/json; charset=utf-8');
    expect(contentTypeValue('application/problem+json')).toBe('application/problem+json; charset=utf-8');
    expect(contentTypeValue('text/html')).toBe('text/html; charset=utf-8');
    expect(contentTypeValue('text/plain; version=0.0.4')).toBe('text/plain; version=0.0.4');
    expect(contentTypeValue('application/octet-stream')).toBe('application/octet-stream');
  });
});
