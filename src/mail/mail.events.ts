/** A mail server refused an address for good; it is suppressed from now on. */
export class MailBouncedEvent {
  static readonly type = 'mail.bounced';
  constructor(
    readonly emailKey: string,
    readonly reason: string,
  ) {}
}
