import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerContextDir, ORIGIN_IMAGE_REPO, originImageTag } from './image.js';

describe('originImageTag', () => {
  it('is a stable hash of the build context and the base image', () => {
    const context = containerContextDir();
    const tag = originImageTag(context, 'sha256:aaaa');
    expect(tag).toMatch(new RegExp(`^${ORIGIN_IMAGE_REPO}:[0-9a-f]{16}$`));
    expect(originImageTag(context, 'sha256:aaaa')).toBe(tag);
    expect(originImageTag(context, 'sha256:bbbb')).not.toBe(tag);
  });

  it('changes when the entrypoint changes', () => {
    const copy = mkdtempSync(join(tmpdir(), 'hls-swarm-image-test-'));
    try {
      cpSync(containerContextDir(), copy, { recursive: true });
      const before = originImageTag(copy, 'base');
      writeFileSync(join(copy, 'entrypoint.sh'), '#!/bin/bash\nexit 0\n');
      expect(originImageTag(copy, 'base')).not.toBe(before);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
