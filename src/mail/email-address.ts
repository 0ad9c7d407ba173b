/**
 * The comparison form of an address: suppressions, subscriptions and caps all match on it, by
 * equality (never LIKE), so `%@%` or a case variant can never reach another row.
 */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

/** The stored form: trimmed, domain lower-cased, local part as typed. */
export function canonicalEmail(email: string): string {
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf('@');
  return at < 0 ? trimmed : trimmed.slice(0, at + 1) + trimmed.slice(at + 1).toLowerCase();
}

/**
 * A single plain address with nothing a mail header could misread: no CR/LF, spaces, commas,
 * angle brackets or quotes. Checked again before enqueueing, whatever validated it first.
 */
export function isDeliverableAddress(email: string): boolean {
  return (
    email.length <= 254 &&
    /^[^\s@<>,;:"()[\]\\]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i.test(
      email,
    )
  );
}

/** The domain part of MAIL_FROM ("Name <a@b>" or "a@b"): Message-IDs and List-Ids live under it. */
export function senderDomain(mailFrom: string): string {
  const address = /<([^<>]+)>/.exec(mailFrom)?.[1] ?? mailFrom;
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
