import { describe, expect, it } from 'vitest';
import { describeExit } from './exit.js';

describe('describeExit', () => {
  it('says how a process ended, in the words every origin uses', () => {
    expect(describeExit({ exitCode: 3, signal: undefined })).toBe('exited with code 3');
    expect(describeExit({ exitCode: undefined, signal: 'SIGKILL' })).toBe('was killed by SIGKILL');
    expect(describeExit({ exitCode: undefined, signal: undefined }, 'qemu-system-x86_64')).toBe(
      'could not be started (qemu-system-x86_64)',
    );
    expect(describeExit(undefined)).toBe('exited');
  });
});
