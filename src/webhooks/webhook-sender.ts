import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ForbiddenReceiverError, ReceiverGuard } from './receiver-guard';

const MAX_REDIRECTS = 3;

export interface SendOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

function once(
  url: URL,
  body: string,
  headers: Record<string, string>,
  guard: ReceiverGuard,
  timeoutMs: number,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        // Every connection resolves through the guard; no pooled socket skips it.
        lookup: guard.lookup,
        agent: false,
        timeout: timeoutMs,
      },
      (response) => {
        // Read (a little of) the answer and drop it: receivers' bodies are not ours to keep.
        let seen = 0;
        response.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > 64 * 1024) {
            response.destroy();
          }
        });
        response.on('end', () => resolve(response));
        response.on('close', () => resolve(response));
        response.on('error', () => resolve(response));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * POSTs one signed delivery. Redirects are followed (at most three, POST kept) only to
 * receivers the guard allows, checked on every hop after DNS resolution.
 */
export async function sendWebhook(
  target: string,
  body: string,
  headers: Record<string, string>,
  guard: ReceiverGuard,
  timeoutMs: number,
): Promise<SendOutcome> {
  let url = new URL(target);
  for (let hop = 0; ; hop++) {
    try {
      // An IP literal never reaches `lookup`, so it is checked here.
      await guard.check(url);
      const response = await once(url, body, headers, guard, timeoutMs);
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        return { ok: true, statusCode: status, error: null };
      }
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location) {
        if (hop >= MAX_REDIRECTS) {
          return { ok: false, statusCode: status, error: `more than ${MAX_REDIRECTS} redirects` };
        }
        const next = new URL(location, url);
        if (next.protocol !== 'http:' && next.protocol !== 'https:') {
          return {
            ok: false,
            statusCode: status,
            error: `redirect to a ${next.protocol} URL refused`,
          };
        }
        url = next;
        continue;
      }
      return { ok: false, statusCode: status, error: `the receiver answered ${status}` };
    } catch (error) {
      const refused =
        error instanceof ForbiddenReceiverError ||
        (error as { cause?: unknown }).cause instanceof ForbiddenReceiverError;
      const message = error instanceof Error ? error.message : String(error);
      return {
        ok: false,
        statusCode: null,
        error:
          refused || hop > 0 ? `${hop > 0 ? `redirect to ${url.host}: ` : ''}${message}` : message,
      };
    }
  }
}
