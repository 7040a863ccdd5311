/**
 * checkResponse (dev and test): the response against the document (status, headers, media type,
 * body schema). A handler that answers something undocumented is a bug: 500, and the log says why.
 */
import { ApiError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { isJsonType } from '../../http/negotiate';
import type { ResponseValidator } from '../compile/response-validator';
import type { AnsweredContext } from '../context';

export function checkResponseStage(validator: ResponseValidator, logger: Logger) {
  return function checkResponse(ctx: AnsweredContext): void {
    // A static asset or an error before routing: no operation to check against.
    const { route, response } = ctx;
    if (!route) return;
    const { body, contentType } = response;
    const parsed =
      body !== undefined && contentType !== undefined && isJsonType(contentType)
        ? JSON.parse(body.toString())
        : body?.toString();
    const problems = validator.check(route.op, {
      status: response.status,
      headers: response.headers,
      body: parsed,
      contentType,
    });
    if (problems.length === 0) return;
    logger.error(
      { requestId: ctx.requestId, operationId: route.op.operationId, status: response.status, problems },
      'handler response does not match the document',
    );
    throw new ApiError('internal');
  };
}
