import type { EvaluationRecord, ReportWaiver } from './model';

/** What replaces a credential in every report. */
export const MASK = '***';

/** `scheme://user:password@host` or `scheme://token@host`: everything between `//` and the last `@` of the authority is a credential. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]+@/gi;

/**
 * `key=value` where the key names a secret: query parameters (`?token=`, `&X-Amz-Signature=`),
 * npm config (`//registry/:_authToken=`), shell assignments (`NPM_TOKEN=`, `export PASSWORD="..."`).
 */
const SECRET_ASSIGNMENT =
  /((?:^|[\s?&;:,'"([{/])[\w.-]*(?:token|auth|password|passwd|pwd|secret|signature|credential|api[_-]?key|access[_-]?key|private[_-]?key)[\w.-]*\s*=\s*)(?!\*\*\*)("[^"]*"|'[^']*'|[^\s&;,'")\]}]+)/gi;

/** `Authorization: Bearer abc`, and a bearer token on its own (long, with a digit: not a word of prose). */
const AUTHORIZATION = /\b(Authorization\s*[:=]\s*)(?:(?:Bearer|Basic|Token)\s+)?(?!\*\*\*)[^\s,;'"]+/gi;
const BEARER_TOKEN = /\b(Bearer\s+)(?=[A-Za-z0-9._~+/-]*\d)[A-Za-z0-9._~+/-]{16,}=*/g;

/**
 * Masks credentials in a text a report shows: a URL's user and password, secret query parameters
 * and assignments, and HTTP authorization values. Identifiers (ids, ARNs, key aliases, the URLs
 * themselves) stay readable. Applying it twice changes nothing.
 */
export function maskCredentials(text: string): string {
  return text
    .replace(URL_USERINFO, `$1${MASK}@`)
    .replace(SECRET_ASSIGNMENT, `$1${MASK}`)
    .replace(AUTHORIZATION, `$1${MASK}`)
    .replace(BEARER_TOKEN, `$1${MASK}`);
}

function maskWaiver(waiver: ReportWaiver | undefined): ReportWaiver | undefined {
  return (
    waiver && {
      ...waiver,
      reason: maskCredentials(waiver.reason),
      ...(waiver.refusedBecause !== undefined && { refusedBecause: maskCredentials(waiver.refusedBecause) }),
    }
  );
}

/** A record with every free text masked: the message, the waivers' reasons, what a fix changed. */
export function maskRecord(record: EvaluationRecord): EvaluationRecord {
  return {
    ...record,
    ...(record.message !== undefined && { message: maskCredentials(record.message) }),
    ...(record.waiver && { waiver: maskWaiver(record.waiver) }),
    ...(record.refusedWaiver && { refusedWaiver: maskWaiver(record.refusedWaiver) }),
    ...(record.changes && { changes: record.changes.map(maskCredentials) }),
  };
}
