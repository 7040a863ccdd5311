/**
 * The error taxonomy (src/core/errors.ts): one base class with stable codes, one class for "a
 * dependency is unavailable" answered with 503 + Retry-After in one place, and problem `type` URIs
 * that point at the Errors section of the served docs, under a configurable base.
 */
import { CacheTimeoutError } from '../../src/cache/cache-store';
import { ConfigError, loadConfig } from '../../src/core/config';
import { MAX_LISTED_VIOLATIONS } from '../../src/core/error-page';
import {
  ApiError,
  DEFAULT_PROBLEM_TYPE_BASE,
  DEPENDENCY_RETRY_AFTER_SECONDS,
  type Dependency,
  DependencyUnavailableError,
  isUnavailable,
  OAuthError,
  PROBLEMS,
  type RenderErrorContext,
  renderError,
  ServiceError,
  validationFailed,
} from '../../src/core/errors';
import { problemTypeBaseProblem } from '../../src/core/problems';
import { UsernameTakenError } from '../../src/store/users.repository';

const ctx: RenderErrorContext = { format: 'problem', instance: '/v1/items', requestId: 'req-1' };
const bodyOf = (err: unknown, more: Partial<RenderErrorContext> = {}) =>
  JSON.parse(renderError(err, { ...ctx, ...more }).body) as Record<string, unknown>;

describe('ServiceError and its codes', () => {
  const singleCode: Array<[string, ServiceError, { code?: string }]> = [
    ['DependencyUnavailableError', new DependencyUnavailableError('redis'), DependencyUnavailableError],
    ['CacheTimeoutError', new CacheTimeoutError('cache command exceeded 50 ms'), CacheTimeoutError],
    ['UsernameTakenError', new UsernameTakenError('alice'), UsernameTakenError],
    ['ConfigError', new ConfigError(['PORT must be an integer']), ConfigError],
  ];

  it.each(singleCode)('%s carries its class code on every instance, and its class name', (name, err, cls) => {
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: cls.code, name });
  });

  it('gives each class its own stable code', () => {
    expect(singleCode.map(([, err]) => err.code)).toEqual([
      'dependency_unavailable',
      'cache_timeout',
      'username_taken',
      'config_invalid',
    ]);
  });

  it('keeps class codes apart from the problem codes clients see', () => {
    expect(singleCode.map(([, err]) => err.code).filter((code) => code in PROBLEMS)).toEqual([]);
  });

  it('gives ApiError the problem code and OAuthError the RFC 6749 code', () => {
    expect(new ApiError('conflict', { detail: 'taken' })).toMatchObject({
      code: 'conflict',
      status: 409,
      name: 'ApiError',
      message: 'taken',
    });
    expect(new OAuthError('invalid_grant', 'wrong password')).toMatchObject({
      code: 'invalid_grant',
      error: 'invalid_grant',
      status: 400,
      name: 'OAuthError',
    });
    expect(new ApiError('conflict')).toBeInstanceOf(ServiceError);
    expect(new OAuthError('invalid_scope')).toBeInstanceOf(ServiceError);
  });
});

describe('a dependency that is unavailable', () => {
  it.each<[Dependency, string]>([
    ['database', 'The database cannot be reached.'],
    ['redis', 'Redis cannot be reached.'],
    ['cache', 'The response cache cannot be reached.'],
  ])('%s: 503 unavailable with Retry-After, the detail and nothing of the reason', (dependency, detail) => {
    const err = new DependencyUnavailableError(dependency, {
      reason: 'ECONNREFUSED 10.0.0.7:5432',
      cause: new Error('connect ECONNREFUSED'),
    });
    expect(err).toMatchObject({ code: 'dependency_unavailable', dependency, detail });
    expect(err.message).toContain('ECONNREFUSED');
    const answer = renderError(err, ctx);
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe(String(DEPENDENCY_RETRY_AFTER_SECONDS));
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toEqual({
      type: '/docs#section/Errors/unavailable',
      title: 'Service unavailable',
      status: 503,
      code: 'unavailable',
      detail,
      instance: '/v1/items',
      request_id: 'req-1',
    });
    expect(answer.body).not.toContain('10.0.0.7');
    expect(isUnavailable(err)).toBe(true);
  });

  it('is temporarily_unavailable with Retry-After on an OAuth endpoint', () => {
    const answer = renderError(
      new DependencyUnavailableError('redis', { detail: 'The rate limiter cannot be reached.' }),
      { ...ctx, format: 'oauth' },
    );
    expect([answer.status, answer.headers['retry-after'], answer.headers['cache-control']]).toEqual([
      503,
      '5',
      'no-store',
    ]);
    expect(JSON.parse(answer.body)).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The rate limiter cannot be reached.',
    });
  });

  it('carries the dependency, a detail for the client and the cause', () => {
    const cause = new Error('socket closed');
    const err = new DependencyUnavailableError('cache', {
      detail: 'The change was saved, but cached copies could not be invalidated.',
      cause,
    });
    expect(err).toMatchObject({
      code: 'dependency_unavailable',
      dependency: 'cache',
      detail: 'The change was saved, but cached copies could not be invalidated.',
      cause,
    });
    expect(new DependencyUnavailableError('redis', { cause })).toMatchObject({ dependency: 'redis', cause });
  });

  it('an ApiError unavailable gets the same Retry-After; a 429 keeps its own', () => {
    expect(renderError(new ApiError('unavailable'), ctx).headers['retry-after']).toBe('5');
    expect(renderError(new ApiError('too_many_requests', { retryAfterSeconds: 61 }), ctx).headers['retry-after']).toBe(
      '61',
    );
    expect(renderError(new ApiError('conflict'), ctx).headers['retry-after']).toBeUndefined();
  });

  it('is told apart from a bug: any other error, ServiceError or not, is a 500 without detail', () => {
    for (const err of [
      new CacheTimeoutError('slow'),
      new UsernameTakenError('alice'),
      Object.assign(new Error('x'), { code: 'database_unavailable' }),
    ]) {
      const answer = renderError(err, ctx);
      expect(answer.status).toBe(500);
      expect(answer.headers['retry-after']).toBeUndefined();
      expect(JSON.parse(answer.body)).not.toHaveProperty('detail');
      expect(isUnavailable(err)).toBe(false);
    }
  });
});

describe('problem type URIs', () => {
  it('default to the section of the code in the served docs: /docs#section/Errors/<code>', () => {
    expect(DEFAULT_PROBLEM_TYPE_BASE).toBe('/docs#section/Errors/');
    expect(bodyOf(new ApiError('validation_failed')).type).toBe('/docs#section/Errors/validation_failed');
    expect(bodyOf(new Error('boom')).type).toBe('/docs#section/Errors/internal');
  });

  it('take the base the deployment configures', () => {
    const typeBase = 'https://api.example.com/docs#section/Errors/';
    expect(bodyOf(new ApiError('precondition_failed'), { typeBase }).type).toBe(
      'https://api.example.com/docs#section/Errors/precondition_failed',
    );
  });

  it('resolve, relative to any request URL of the service, to the same URI (RFC 9457 §3.1.1)', () => {
    const type = String(bodyOf(new ApiError('not_found')).type);
    const resolved = [
      'https://api.example.com/v1/items/42',
      'https://api.example.com/',
      'https://api.example.com/v1/users/1/sessions',
    ].map((u) => new URL(type, u).href);
    expect(new Set(resolved)).toEqual(new Set(['https://api.example.com/docs#section/Errors/not_found']));
  });
});

describe('PROBLEM_TYPE_BASE', () => {
  const problemsOf = (value: string): string[] => {
    try {
      loadConfig({ PROBLEM_TYPE_BASE: value });
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  };

  it('defaults to /docs#section/Errors/', () => {
    expect(loadConfig({}).problemTypeBase).toBe('/docs#section/Errors/');
    expect(loadConfig({ PROBLEM_TYPE_BASE: '' }).problemTypeBase).toBe('/docs#section/Errors/');
  });

  it.each([
    'https://api.example.com/docs#section/Errors/',
    'http://localhost:8443/docs#section/Errors/',
    '/api/docs#section/Errors/',
    'https://docs.example.com/errors/',
  ])('takes %s', (value) => {
    expect(problemTypeBaseProblem(value)).toBeUndefined();
    expect(loadConfig({ PROBLEM_TYPE_BASE: value }).problemTypeBase).toBe(value);
  });

  it.each([
    'docs#section/Errors/',
    '#section/Errors/',
    '//cdn.example.com/docs#',
    'ftp://example.com/errors/',
    'https://example.com/docs section/',
    'not a url',
    'https://example.com/"x"',
  ])('refuses %s', (value) => {
    const problems = problemsOf(value);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^PROBLEM_TYPE_BASE must be an absolute http\(s\) URL or a path starting with \//);
  });
});

describe('the HTML error page of a validation failure', () => {
  const html: RenderErrorContext = { ...ctx, format: 'html' };

  it('lists each violation with where and which parameter, escaped', () => {
    const page = renderError(
      validationFailed(
        { in: 'query', pointer: '/state', message: 'must NOT have more than 1024 characters' },
        { in: 'body', pointer: '/<b>', message: 'is not allowed' },
        { in: 'body', pointer: '', message: 'a request body is required' },
      ),
      html,
    ).body;
    expect(page).toContain('<li>Query parameter <code>state</code>: must NOT have more than 1024 characters</li>');
    expect(page).toContain('<li>Field <code>&lt;b&gt;</code>: is not allowed</li>');
    expect(page).toContain('<li>The request body: a request body is required</li>');
  });

  it(`lists at most ${MAX_LISTED_VIOLATIONS} and counts the rest, so the page stays small`, () => {
    const many = Array.from({ length: MAX_LISTED_VIOLATIONS + 7 }, (_, i) => ({
      in: 'body' as const,
      pointer: `/field${i}`,
      message: 'is not allowed',
    }));
    const page = renderError(validationFailed(...many), html).body;
    expect(page.match(/<li>Field /g)).toHaveLength(MAX_LISTED_VIOLATIONS);
    expect(page).toContain('<li>And 7 more.</li>');
  });

  it('a 5xx page lists nothing but the request id', () => {
    const err = new ApiError('internal', { errors: [{ in: 'query', pointer: '/q', message: 'm' }] });
    expect(renderError(err, html).body).not.toContain('<li>');
  });
});
