/** Input `check` cannot read: one readable line naming the file, for exit code 2 (never a stack trace). */
export class InputError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'InputError';
  }
}
