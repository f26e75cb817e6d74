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

/**
 * `maskCredentials` for one report: many records share a text (one finding on many resources), and
 * each distinct text is masked once.
 */
export function credentialMasker(): (text: string) => string {
  const masked = new Map<string, string>();
  return (text) => {
    let result = masked.get(text);
    if (result === undefined) {
      result = maskCredentials(text);
      masked.set(text, result);
    }
    return result;
  };
}

function maskWaiver(
  waiver: ReportWaiver | undefined,
  mask: (text: string) => string,
): ReportWaiver | undefined {
  return (
    waiver && {
      ...waiver,
      reason: mask(waiver.reason),
      ...(waiver.refusedBecause !== undefined && { refusedBecause: mask(waiver.refusedBecause) }),
    }
  );
}

/**
 * A record with every free text masked: the message, the waivers' reasons, what a fix changed.
 * `mask` is `maskCredentials`, or a `credentialMasker` when many records share their texts.
 */
export function maskRecord(
  record: EvaluationRecord,
  mask: (text: string) => string = maskCredentials,
): EvaluationRecord {
  return {
    ...record,
    ...(record.message !== undefined && { message: mask(record.message) }),
    ...(record.waiver && { waiver: maskWaiver(record.waiver, mask) }),
    ...(record.refusedWaiver && { refusedWaiver: maskWaiver(record.refusedWaiver, mask) }),
    ...(record.changes && { changes: record.changes.map((change) => mask(change)) }),
  };
}
